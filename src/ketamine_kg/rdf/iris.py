"""The project's own IRIs, and the pages a source's identifiers name: plain strings, in one place.

No rdflib here: the query command's process imports this (``query.remote``'s default graph) and
must start without rdflib. :mod:`ketamine_kg.rdf.vocabulary` builds its namespaces from these.

>>> PUBMED_URL.format("31109201"), DOI_URL.format("10.1176/appi.ajp.2019.19020172")
('https://pubmed.ncbi.nlm.nih.gov/31109201/', 'https://doi.org/10.1176/appi.ajp.2019.19020172')
"""

from __future__ import annotations

__all__ = [
    "BASE",
    "DOI_URL",
    "GRAPH_IRI",
    "KKR_NAMESPACE",
    "KK_NAMESPACE",
    "NCT_URL",
    "ONTOLOGY_IRI",
    "PUBMED_URL",
    "SHAPES_NAMESPACE",
]

#: Everything this project mints lives under one stable base.
BASE = "https://w3id.org/ketamine-kg/"
#: The ontology; with "#", its classes and properties (``kk:``).
ONTOLOGY_IRI = BASE + "ontology"
KK_NAMESPACE = ONTOLOGY_IRI + "#"
#: Curated individuals: drugs, claims, sources... (``kkr:``).
KKR_NAMESPACE = BASE + "resource/"
#: The named graph ``ketamine-kg load`` replaces on a SPARQL server.
GRAPH_IRI = BASE + "graph"
#: The generated SHACL shapes that have no class of the schema behind them.
SHAPES_NAMESPACE = BASE + "shapes#"

#: A source's identifiers as links, each to the registry's own page (``str.format`` templates).
PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{}/"
DOI_URL = "https://doi.org/{}"
NCT_URL = "https://clinicaltrials.gov/study/{}"
