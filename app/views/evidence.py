"""The Evidence page: a thin script; the page lives in ketamine_kg.viewer.pages.evidence."""

from ketamine_kg.viewer.pages import evidence

evidence()
