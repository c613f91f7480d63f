"""Explore's layout (viewer/graphview.py): a node's place depends on the anchor view alone, so a
permalink redraws the same picture (issue 19), and nodes do not sit on one another."""

from __future__ import annotations

import math

import networkx as nx
import pytest

pytest.importorskip("scipy", reason="the viewer extra is not installed")
from ketamine_kg.viewer.graphview import anchored_layout


def _world() -> nx.MultiDiGraph:
    """Two drug forms, a hub with eighty risks, conditions, claims between them, sources on the
    claims, and a pair linked only to each other."""
    g = nx.MultiDiGraph()
    for drug in ("ketamine", "esketamine"):
        g.add_node(drug, kind="drug form")
    for i in range(80):
        g.add_edge("ketamine", f"risk-{i}", relation="has risk")
    for c in ("trd", "ptsd", "aud"):
        g.add_edge("ketamine", c, relation="studied to treat")
        for k in range(3):
            claim = f"claim-{c}-{k}"
            g.add_edge(claim, "ketamine", relation="about drug")
            g.add_edge(claim, c, relation="about condition")
            g.add_edge(claim, f"src-{c}-{k}", relation="cites")
    g.add_edge("esketamine", "trd", relation="treats")
    g.add_edge("island-a", "island-b", relation="narrower than")
    return g


ANCHOR = ["aud", "esketamine", "ketamine", "ptsd", "trd", *(f"risk-{i}" for i in range(80))]


def test_every_node_has_a_place_that_depends_on_the_anchor_alone() -> None:
    g = _world()
    once, again = anchored_layout(g, ANCHOR), anchored_layout(g.copy(), list(reversed(ANCHOR)))
    assert set(once) == set(g)
    assert once == again  # the same anchor, in any order: the same places, to the decimal


def test_a_hub_is_not_hidden_under_its_leaves() -> None:
    pos = anchored_layout(_world(), ANCHOR)
    gap = 0.055 * 1000.0
    for i, a in enumerate(ANCHOR):
        for b in ANCHOR[i + 1:]:
            assert math.dist(pos[a], pos[b]) > 0.8 * gap, (a, b, pos[a], pos[b])


def test_claims_lie_near_what_they_are_about_and_an_island_is_placed_too() -> None:
    pos = anchored_layout(_world(), ANCHOR)
    spread = max(math.dist(pos[a], pos[b]) for a in ANCHOR for b in ANCHOR)
    for c in ("trd", "ptsd", "aud"):
        middle = ((pos[c][0] + pos["ketamine"][0]) / 2, (pos[c][1] + pos["ketamine"][1]) / 2)
        for k in range(3):
            assert math.dist(pos[f"claim-{c}-{k}"], middle) < spread / 3
    assert math.dist(pos["island-a"], pos["island-b"]) < spread / 2
