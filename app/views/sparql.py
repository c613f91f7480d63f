"""The Sparql page: a thin script; the page lives in ketamine_kg.viewer.pages.sparql."""

from ketamine_kg.viewer.pages import sparql

sparql()
