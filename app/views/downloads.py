"""The Downloads page: a thin script; the page lives in ketamine_kg.viewer.pages.downloads."""

from ketamine_kg.viewer.pages import downloads

downloads()
