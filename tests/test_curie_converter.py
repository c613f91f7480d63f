"""One CURIE converter: every IRI of the built graph round-trips through it, it answers as the
curies converter does, and the results, exports, diffs, catalogue and viewer all go through it
(a prefix added to the converter alone shows up in each of them)."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from ketamine_kg.rdf import prefixes
from ketamine_kg.rdf.prefixes import PREFIXES, compact_iri, converter, expand_curie
from ketamine_kg.query.results import QueryResult, Term, compact, render

from .conftest import ROOT

#: A namespace no module knows but the converter, in the tests that give the converter one more prefix.
EX = "http://example.org/one-converter/"


def _graph_iris() -> list[str]:
    iris: set[str] = set()
    for triple in ox.parse(path=ROOT / "graph" / "ketamine-kg.nt", format=ox.RdfFormat.N_TRIPLES):
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    return sorted(iris)


def test_every_iri_of_the_built_graph_round_trips_and_agrees_with_curies() -> None:
    iris = _graph_iris()
    assert len(iris) > 1000
    ours = set(PREFIXES)
    compacted = 0
    for iri in iris:
        curie = compact_iri(iri)
        by_curies = converter().compress(iri)
        if curie != iri:
            compacted += 1
            assert curie.partition(":")[0] in ours, iri
            assert by_curies == curie, iri
            assert expand_curie(curie) == iri, curie
        else:
            # Not under the project's namespaces: a cross-reference, which stays the IRI a reader
            # follows, though the converter can still write it as a CURIE and read it back.
            assert by_curies is None or by_curies.partition(":")[0] not in ours, iri
            if by_curies is not None:
                assert expand_curie(by_curies) == iri, by_curies
    assert compacted > len(iris) / 2


@pytest.mark.parametrize("iri, curie", [
    ("https://w3id.org/ketamine-kg/resource/ketamine", "kkr:ketamine"),
    ("https://w3id.org/ketamine-kg/ontology#TherapeuticUseClaim", "kk:TherapeuticUseClaim"),
    ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "rdf:type"),
    ("http://www.w3.org/2000/01/rdf-schema#label", "rdfs:label"),
    ("http://www.w3.org/2002/07/owl#NamedIndividual", "owl:NamedIndividual"),
    ("http://www.w3.org/2001/XMLSchema#date", "xsd:date"),
    ("http://www.w3.org/2004/02/skos/core#exactMatch", "skos:exactMatch"),
    ("http://purl.org/dc/terms/source", "dcterms:source"),
    ("http://www.w3.org/ns/prov#wasDerivedFrom", "prov:wasDerivedFrom"),
    ("https://w3id.org/biolink/vocab/treats", "biolink:treats"),
    ("http://www.geneontology.org/formats/oboInOwl#hasDbXref", "oboInOwl:hasDbXref"),
    ("http://schema.org/name", "schema:name"),
])
def test_the_project_spells_its_prefixes_as_it_always_has(iri: str, curie: str) -> None:
    assert compact_iri(iri) == curie
    assert converter().compress(iri) == curie
    assert expand_curie(curie) == iri


def test_what_does_not_compact_stays_as_it_was() -> None:
    for namespace in PREFIXES.values():
        assert compact_iri(namespace) == namespace  # "kkr:" alone would name nothing
    assert compact_iri("http://purl.obolibrary.org/obo/MONDO_0002009") == "http://purl.obolibrary.org/obo/MONDO_0002009"
    assert compact_iri("https://example.org/x") == "https://example.org/x"
    assert expand_curie("MONDO:0002009") == "http://purl.obolibrary.org/obo/MONDO_0002009"
    assert expand_curie("mondo:0002009") == "http://purl.obolibrary.org/obo/MONDO_0002009"
    for bad in ("no-colon", "FOO:1", "KK:Drug"):
        with pytest.raises(ValueError):
            expand_curie(bad)


@pytest.fixture
def one_more_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    """The converter, and only the converter, learns ``ex:``: a module that compacts or expands on
    its own still writes the IRI (or refuses the CURIE)."""
    monkeypatch.setattr(prefixes, "_project", lambda: prefixes._Project({**PREFIXES, "ex": EX}))


@pytest.mark.usefixtures("one_more_prefix")
def test_results_compact_through_the_one_converter() -> None:
    assert compact(Term.iri(EX + "thing")) == "ex:thing"
    result = QueryResult("select", ["x"], [(Term.iri(EX + "thing"),)])
    assert result.records() == [{"x": "ex:thing"}]
    assert "ex:thing" in render(result, "table")
    assert "ex:thing" in render(result, "markdown")


@pytest.mark.usefixtures("one_more_prefix")
def test_the_catalogue_expands_through_the_one_converter() -> None:
    from ketamine_kg.query.catalogue import Parameter, expand

    assert expand("ex:thing") == EX + "thing"
    assert Parameter("x", "iri", "", "").to_term("ex:thing") == Term.iri(EX + "thing")
    assert expand("ketamine") == PREFIXES["kkr"] + "ketamine"


@pytest.mark.usefixtures("one_more_prefix")
def test_diffs_compact_through_the_one_converter() -> None:
    from ketamine_kg.diff.compare import diff_snapshots
    from ketamine_kg.diff.render import render as render_diff
    from ketamine_kg.diff.snapshot import parse_snapshot

    claim = "https://w3id.org/ketamine-kg/resource/claim-x"
    data = (
        f"<{EX}thing> <{EX}rel> <{claim}> .\n"
        f"<{claim}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        f"<https://w3id.org/ketamine-kg/ontology#TherapeuticUseClaim> .\n"
    ).encode()
    diff = diff_snapshots(parse_snapshot(b"", ox.RdfFormat.N_TRIPLES, "old"),
                          parse_snapshot(data, ox.RdfFormat.N_TRIPLES, "new"))
    as_json = json.loads(render_diff(diff, "json"))
    assert as_json["other_subjects_changed"] == ["ex:thing"]
    assert [c["id"] for c in as_json["claims"]["added"]] == ["claim-x"]  # curated ids stay bare
    assert "ex:thing" in render_diff(diff, "text")


@pytest.mark.usefixtures("one_more_prefix")
def test_exports_compact_through_the_one_converter() -> None:
    from rdflib import Graph

    from ketamine_kg.export.property_graph import property_graph
    from ketamine_kg.build.graphs import ProvenanceSplit

    graph = Graph().parse(format="turtle", data=f"""
        @prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix ex: <{EX}> . @prefix kkr: <https://w3id.org/ketamine-kg/resource/> .
        kkr:a a owl:NamedIndividual, ex:Thing ; rdfs:label "a" ; ex:rel kkr:b .
        kkr:b a owl:NamedIndividual ; rdfs:label "b" .
    """)
    pg = property_graph(ProvenanceSplit(graph, {"asserted": graph}))
    assert pg.nodes["kkr:a"]["types"].split("|") == ["ex:Thing", "owl:NamedIndividual"]
    assert [d["relation"] for _, _, d in pg.edges(data=True)] == ["ex:rel"]


@pytest.mark.usefixtures("one_more_prefix")
def test_the_viewer_compacts_and_expands_through_the_one_converter() -> None:
    pytest.importorskip("streamlit", reason="the viewer extra is not installed")
    from ketamine_kg.viewer.answers import readable
    from ketamine_kg.viewer.evidence_map import _expand
    from ketamine_kg.viewer.results_view import frame_of

    result = QueryResult("select", ["x"], [(Term.iri(EX + "thing"),)])
    assert frame_of(result)["x"].tolist() == ["ex:thing"]
    frame, _ = readable(result)
    assert frame.iloc[0, 0].endswith("#ex:thing")  # the link's text
    assert _expand("ex:thing") == EX + "thing"
