"""The Ontology page: a thin script; the page lives in ketamine_kg.viewer.pages.ontology."""

from ketamine_kg.viewer.pages import ontology

ontology()
