"""The Paths page: a thin script; the page lives in ketamine_kg.viewer.pages.paths."""

from ketamine_kg.viewer.pages import paths

paths()
