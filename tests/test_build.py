"""The build: deterministic, up to date with what is committed, and readable everywhere."""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.compare import isomorphic

from ketamine_kg import __version__
from ketamine_kg.build import build, build_graphs
from ketamine_kg.layout import GRAPH_FILES, Layout
from ketamine_kg.vocabulary import KK, KKR, ONTOLOGY_IRI

RDFLIB_FORMAT = {"nt": "nt", "turtle": "turtle", "xml": "xml", "json-ld": "json-ld"}
OX_FORMAT = {"nt": ox.RdfFormat.N_TRIPLES, "turtle": ox.RdfFormat.TURTLE, "xml": ox.RdfFormat.RDF_XML, "json-ld": ox.RdfFormat.JSON_LD}


@pytest.fixture(scope="module")
def built(layout: Layout):
    return build_graphs(layout)


def test_committed_files_are_what_the_build_makes(layout: Layout) -> None:
    """Generated files are never hand-edited: a rebuild must reproduce them byte for byte."""
    result = build(layout, check=True)
    assert not result.stale, f"out of date (run 'ketamine-kg build'): {[p.name for p in result.stale]}"


def test_build_is_deterministic(project_copy: Layout) -> None:
    for path in project_copy.graph_dir.glob("ketamine-kg.*"):
        path.unlink()
    first = build(project_copy)
    snapshot = {p: p.read_bytes() for p in first.written}
    second = build(project_copy)
    assert not second.written, "a second build rewrote files"
    assert {p: p.read_bytes() for p in snapshot} == snapshot


def _ox_to_rdflib(store: ox.Store) -> Graph:
    def term(t):
        if isinstance(t, ox.NamedNode):
            return URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return BNode(t.value)
        # RDF 1.1: a plain literal is an xsd:string; rdflib keeps it untyped, pyoxigraph does not.
        plain = t.language or t.datatype.value == "http://www.w3.org/2001/XMLSchema#string"
        return Literal(t.value, lang=t.language, datatype=None if plain else URIRef(t.datatype.value))

    graph = Graph()
    for quad in store:
        graph.add((term(quad.subject), term(quad.predicate), term(quad.object)))
    return graph


def _numeric_by_value(graph: Graph) -> Graph:
    # Oxigraph stores xsd:decimal "41.0" as "41" (its canonical form); compare numbers by value.
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype == XSD.decimal:
            o = Literal(format(Decimal(str(o)).normalize(), "f"), datatype=XSD.decimal)
        out.add((s, p, o))
    return out


@pytest.mark.parametrize("fmt", list(GRAPH_FILES))
def test_each_file_is_the_same_graph_in_rdflib_and_pyoxigraph(fmt: str, layout: Layout, built) -> None:
    path = layout.graph_file(fmt)
    in_rdflib = Graph().parse(path, format=RDFLIB_FORMAT[fmt])
    store = ox.Store()
    store.bulk_load(path=str(path), format=OX_FORMAT[fmt])
    assert isomorphic(in_rdflib, built.full)
    assert isomorphic(_numeric_by_value(_ox_to_rdflib(store)), _numeric_by_value(built.full))


def test_ontology_metadata(built) -> None:
    onto = URIRef(ONTOLOGY_IRI)
    g = built.tbox
    for predicate in ("title", "description", "license", "creator", "date"):
        assert g.value(onto, URIRef(f"http://purl.org/dc/terms/{predicate}")) is not None, predicate
    assert str(g.value(onto, URIRef("http://www.w3.org/2002/07/owl#versionIRI"))).endswith(f"/{__version__}")


def test_reasoner_classifies_claims(built, curated) -> None:
    """HermiT puts every approved claim into the defined class, and nothing else."""
    approved = {URIRef(KKR[c.id]) for c in curated.claims if c.regulatory_status == "approved"}
    inferred = set(built.inferred.subjects(predicate=URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), object=KK.ApprovedUseClaim))
    assert inferred == approved
    negatives = {URIRef(KKR[c.id]) for c in curated.claims if c.direction == "does-not-support"}
    assert negatives <= set(built.inferred.subjects(object=KK.NegativeFindingClaim))


def test_property_chain_gives_drug_risks(built, curated) -> None:
    expected = {(URIRef(KKR[a.drug]), URIRef(KKR[a.effect])) for a in curated.adverse_effects}
    assert set(built.inferred.subject_objects(KK.hasRisk)) == expected


def test_inferred_edges_are_not_asserted(built) -> None:
    for predicate in (KK.treats, KK.studiedToTreat, KK.hasRisk):
        assert not list(built.asserted.triples((None, predicate, None))), predicate
