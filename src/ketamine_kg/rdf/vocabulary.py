"""Well-known IRIs and prefixes, grouped by where they come from."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from ketamine_kg.rdf.iris import BASE, KK_NAMESPACE, KKR_NAMESPACE, ONTOLOGY_IRI
from ketamine_kg.rdf.prefixes import PREFIXES

__all__ = [
    "BASE",
    "BIOLINK",
    "DCTERMS",
    "KK",
    "KKR",
    "OBOINOWL",
    "ONTOLOGY_IRI",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SH",
    "SKOS",
    "XSD",
]

#: Classes and properties (the TBox).
KK = Namespace(KK_NAMESPACE)
#: Curated individuals: drugs, claims, sources...
KKR = Namespace(KKR_NAMESPACE)

# schema.org health terms, https://schema.org/docs/meddocs.html
SCHEMA = Namespace("http://schema.org/")
# Biolink Model, https://biolink.github.io/biolink-model/
BIOLINK = Namespace("https://w3id.org/biolink/vocab/")
# PROV-O, https://www.w3.org/TR/prov-o/
PROV = Namespace("http://www.w3.org/ns/prov#")
# oboInOwl, https://github.com/geneontology/go-ontology/blob/master/contrib/oboInOwl.obo
OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")
# SHACL, https://www.w3.org/TR/shacl/
SH = Namespace("http://www.w3.org/ns/shacl#")

# PREFIXES (from .prefixes, plain strings, so the query path needs no rdflib) agree with these
# namespaces; tests/test_engine.py checks it.
