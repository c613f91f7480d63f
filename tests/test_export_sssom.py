"""The committed SSSOM mapping set (graph/ketamine-kg.sssom.tsv), read by sssom-py."""

from __future__ import annotations

import pytest

from ketamine_kg.build import curation
from rdflib import Graph

from ketamine_kg.build.pipeline import SSSOM_FILE, measure_mappings, sssom_bytes
from ketamine_kg.layout import Layout

PREDICATES = {"exact": "skos:exactMatch", "close": "skos:closeMatch", "broad": "skos:broadMatch",
              "narrow": "skos:narrowMatch", "related": "skos:relatedMatch"}


@pytest.fixture(scope="module")
def tbox(layout: Layout) -> Graph:
    return Graph().parse(layout.ontology_dir / "ketamine.ttl")


def test_committed_sssom_file_is_what_the_build_writes(layout: Layout, curated: curation.Curation,
                                                       tbox: Graph) -> None:
    assert (layout.graph_dir / SSSOM_FILE).read_bytes() == sssom_bytes(curated, tbox)


def test_every_effect_measure_mapping_of_the_ontology_is_in_the_set(layout: Layout, tbox: Graph) -> None:
    rows = [line.split("\t") for line in (layout.graph_dir / SSSOM_FILE).read_text().splitlines()
            if line.startswith("kk:")]
    got = {(r[0], r[2], r[3]) for r in rows}
    expected = set()
    for predicate in PREDICATES.values():
        local = predicate.removeprefix("skos:")
        result = tbox.query(f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            PREFIX kk: <https://w3id.org/ketamine-kg/ontology#>
            SELECT ?m ?t WHERE {{ ?m a kk:EffectMeasure ; skos:{local} ?t }}""")
        for m, t in result:
            prefix = "STATO:" if "STATO_" in str(t) else "MESH:"
            expected.add((f"kk:{str(m).rsplit('#', 1)[1]}", predicate, prefix + str(t).rsplit("_" if "STATO_" in str(t) else "/", 1)[1]))
    assert len(expected) >= 16 and got == expected
    # Each says where it was read.
    assert all("Read in: " in r[7] for r in rows)


def test_committed_sssom_file_is_valid_and_holds_every_xref(layout: Layout, curated: curation.Curation) -> None:
    pytest.importorskip("sssom")
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    path = layout.graph_dir / SSSOM_FILE
    parsed = parse_sssom_table(str(path))
    df = parsed.df
    # sssom-py drops a malformed row with only a log warning: count what survived.
    measures = measure_mappings(Graph().parse(layout.ontology_dir / "ketamine.ttl"))
    assert len(df) == len(curated.xrefs) + len(measures)
    validate(parsed, fail_on_error=True)
    got = {(s, p, o) for s, p, o in zip(df["subject_id"], df["predicate_id"], df["object_id"])
           if s.startswith("kkr:")}
    assert got == {(f"kkr:{x.entity}", PREDICATES[x.mapping], x.curie) for x in curated.xrefs}
    assert set(df["predicate_id"]) == {PREDICATES[x.mapping] for x in curated.xrefs}
    # Where the identifier was read (release and file) is in the comment.
    detailed = [x for x in curated.xrefs if x.source_detail]
    assert detailed
    comments = dict(zip(zip(df["subject_id"], df["object_id"]), df["comment"]))
    assert all(x.source_detail in comments[(f"kkr:{x.entity}", x.curie)] for x in detailed)
