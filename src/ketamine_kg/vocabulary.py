"""Well-known IRIs and prefixes, grouped by where they come from."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from .prefixes import PREFIXES

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
    "XREF_PREFIXES",
    "XSD",
]

#: Everything this project mints lives under one stable base.
BASE = "https://w3id.org/ketamine-kg/"
ONTOLOGY_IRI = BASE + "ontology"
#: Classes and properties (the TBox).
KK = Namespace(ONTOLOGY_IRI + "#")
#: Curated individuals: drugs, claims, sources...
KKR = Namespace(BASE + "resource/")

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

#: Outside vocabularies an entity may be cross-referenced to: the CURIE prefix, the pattern its
#: local identifier must match (as the registries publish it, cf. bioregistry), and the IRI an
#: identifier expands to.
XREF_PREFIXES: dict[str, tuple[str, str]] = {
    "CHEBI": (r"^\d+$", "http://purl.obolibrary.org/obo/CHEBI_{}"),
    "DRUGBANK": (r"^DB\d{5}$", "https://go.drugbank.com/drugs/{}"),
    "PUBCHEM.COMPOUND": (r"^\d+$", "https://pubchem.ncbi.nlm.nih.gov/compound/{}"),
    "MESH": (r"^[CD]\d{6,9}$", "http://id.nlm.nih.gov/mesh/{}"),
    "MONDO": (r"^\d{7}$", "http://purl.obolibrary.org/obo/MONDO_{}"),
    "DOID": (r"^\d+$", "http://purl.obolibrary.org/obo/DOID_{}"),
    "HP": (r"^\d{7}$", "http://purl.obolibrary.org/obo/HP_{}"),
    "RXNORM": (r"^\d+$", "http://purl.bioontology.org/ontology/RXNORM/{}"),
    "ATC": (r"^[A-Z]\d{2}([A-Z]([A-Z](\d{2})?)?)?$", "http://www.whocc.no/atc_ddd_index/?code={}"),
    "UNII": (r"^[A-Z0-9]{10}$", "https://precision.fda.gov/uniisearch/srs/unii/{}"),
    "WIKIDATA": (r"^Q\d+$", "http://www.wikidata.org/entity/{}"),
    "NCIT": (r"^C\d+$", "http://purl.obolibrary.org/obo/NCIT_{}"),
    "ICD10CM": (r"^[A-Z]\d{2}(\.[A-Z0-9]{1,4})?$", "https://icd.codes/icd10cm/{}"),
}
