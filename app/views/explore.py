"""The Explore page: a thin script; the page lives in ketamine_kg.viewer.explore."""

from ketamine_kg.viewer.explore import explore

explore()
