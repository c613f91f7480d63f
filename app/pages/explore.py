"""The Explore page: a thin script; the page lives in ketamine_kg.viewer.pages.explore."""

from ketamine_kg.viewer.pages import explore

explore()
