"""The project's SPARQL and serialisation prefixes, as plain strings.

Kept apart from :mod:`ketamine_kg.vocabulary` (rdflib namespaces) so that the query path (the
command line, the worker, the results) never imports rdflib: importing it costs more than
answering a named query.
"""

from __future__ import annotations

__all__ = ["PREFIXES"]

#: Prefixes bound in every serialisation and offered to every query.
PREFIXES: dict[str, str] = {
    "kk": "https://w3id.org/ketamine-kg/ontology#",
    "kkr": "https://w3id.org/ketamine-kg/resource/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "http://schema.org/",
    "biolink": "https://w3id.org/biolink/vocab/",
    "prov": "http://www.w3.org/ns/prov#",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
}
