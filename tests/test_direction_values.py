"""Issue 20: the explorer reads a claim's direction as the schema's value, not as a label typed by hand.

The evidence map and the graph view once compared a direction with the label "does not support";
they now compare ``enum_value("Direction", term)`` (``ketamine_kg.schema.facts``) with the schema's
value ``does-not-support``. What a user sees must still count and colour the negative claims.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from ketamine_kg.query.network import project
from ketamine_kg.schema.facts import enum_value, enum_values

pytest.importorskip("streamlit", reason="the viewer extra is not installed")

PTSD = "kkr:post-traumatic-stress-disorder"


def _curated_directions(curated, drug: str, condition: str) -> Counter[str]:
    return Counter(
        c.direction
        for c in curated.claims
        if c.drug == drug.removeprefix("kkr:") and c.condition == condition.removeprefix("kkr:")
    )


def test_enum_value_reads_an_iri_or_curie_as_the_schemas_value() -> None:
    assert enum_value("Direction", "kk:DoesNotSupport") == "does-not-support"
    assert enum_value("Direction", "https://w3id.org/ketamine-kg/ontology#Supports") == "supports"
    assert enum_value("Direction", "kk:Approved") is None  # not one of Direction's meanings
    assert enum_value("Direction", "nosuchprefix:x") is None


def test_evidence_map_counts_the_claims_that_do_not_support(curated) -> None:
    from streamlit.testing.v1 import AppTest

    from .test_viewer_pages import APP

    at = AppTest.from_file(str(APP / "views" / "map.py"), default_timeout=90)
    at.query_params["drug"], at.query_params["condition"] = "kkr:ketamine", PTSD
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    expected = _curated_directions(curated, "kkr:ketamine", PTSD)
    assert expected["does-not-support"] >= 1, "the fixture pair has a negative claim"
    cell = json.loads(at.get("component_instance")[0].proto.json_args)["cells"][f"kkr:ketamine|{PTSD}"]
    assert (cell["supports"], cell["against"]) == (expected["supports"], expected["does-not-support"])
    # The pair's claims: a cross for each negative one, with the ontology's label in words.
    body = "\n".join(str(m.value) for m in at.markdown)
    assert body.count("**✗ ") == expected["does-not-support"]
    assert body.count("**✓ ") == expected["supports"]
    assert "does not support" in body and "does-not-support" not in body


def test_graph_edges_carry_the_schemas_direction_value(worker, curated) -> None:
    from ketamine_kg.viewer.graphview import NOT_SUPPORTS, SUPPORTS, _edge_style

    projection = project(worker)
    about = [d for _, _, d in projection.graph.edges(data=True) if d["relation"] == "about condition"]
    directions = Counter(d["direction"] for d in about)
    assert set(directions) <= set(enum_values("Direction"))
    assert directions == Counter(c.direction for c in curated.claims)
    colours = Counter(_edge_style(d)["color"] for d in about)
    assert colours == {NOT_SUPPORTS: directions["does-not-support"], SUPPORTS: directions["supports"]}
