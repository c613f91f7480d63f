"""The build: deterministic, up to date with what is committed, and readable everywhere."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from ketamine_kg import __version__
from ketamine_kg.build.pipeline import build, build_graphs
from ketamine_kg.layout import GRAPH_FILES, Layout
from ketamine_kg.rdf.vocabulary import KK, KKR, ONTOLOGY_IRI

from .support import numbers_by_value, oxigraph_as_rdflib

# Every build runs HermiT (Java).
pytestmark = pytest.mark.reasoner


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


@pytest.mark.parametrize("fmt", list(GRAPH_FILES))
def test_each_file_is_the_same_graph_in_rdflib_and_pyoxigraph(fmt: str, layout: Layout, built) -> None:
    path = layout.graph_file(fmt)
    in_rdflib = Graph().parse(path, format=RDFLIB_FORMAT[fmt])
    store = ox.Store()
    store.bulk_load(path=str(path), format=OX_FORMAT[fmt])
    assert isomorphic(in_rdflib, built.full)
    assert isomorphic(oxigraph_as_rdflib(store), numbers_by_value(built.full))


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
