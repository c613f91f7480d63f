"""The committed SSSOM mapping set (graph/ketamine-kg.sssom.tsv), read by sssom-py."""

from __future__ import annotations

import pytest

from ketamine_kg import curation
from ketamine_kg.build import SSSOM_FILE, sssom_bytes
from ketamine_kg.layout import Layout

PREDICATES = {"exact": "skos:exactMatch", "close": "skos:closeMatch", "broad": "skos:broadMatch",
              "narrow": "skos:narrowMatch", "related": "skos:relatedMatch"}


def test_committed_sssom_file_is_what_the_build_writes(layout: Layout, curated: curation.Curation) -> None:
    assert (layout.graph_dir / SSSOM_FILE).read_bytes() == sssom_bytes(curated)


def test_committed_sssom_file_is_valid_and_holds_every_xref(layout: Layout, curated: curation.Curation) -> None:
    pytest.importorskip("sssom")
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    path = layout.graph_dir / SSSOM_FILE
    parsed = parse_sssom_table(str(path))
    df = parsed.df
    # sssom-py drops a malformed row with only a log warning: count what survived.
    assert len(df) == len(curated.xrefs)
    validate(parsed, fail_on_error=True)
    got = {(s, p, o) for s, p, o in zip(df["subject_id"], df["predicate_id"], df["object_id"])}
    assert got == {(f"kkr:{x.entity}", PREDICATES[x.mapping], x.curie) for x in curated.xrefs}
    assert set(df["predicate_id"]) == {PREDICATES[x.mapping] for x in curated.xrefs}
    # Where the identifier was read (release and file) is in the comment.
    detailed = [x for x in curated.xrefs if x.source_detail]
    assert detailed
    comments = dict(zip(zip(df["subject_id"], df["object_id"]), df["comment"]))
    assert all(x.source_detail in comments[(f"kkr:{x.entity}", x.curie)] for x in detailed)
