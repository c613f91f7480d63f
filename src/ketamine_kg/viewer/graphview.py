"""Draw a networkx subgraph with streamlit-agraph (vis.js, bundled: nothing is fetched from a CDN).

Nodes are coloured and shaped by kind; claim and alternative edges are styled by evidence:
solid for approved or guideline-established uses, dashed for off-label and investigational ones,
wider for stronger evidence, red where the source did not support the effect.
"""

from __future__ import annotations

import html
from typing import Any

import networkx as nx
import streamlit as st

__all__ = ["KIND_STYLE", "draw", "legend_markdown"]

#: kind -> (Streamlit colour name, hex, vis.js shape, glyph for the legend, node size)
KIND_STYLE: dict[str, tuple[str, str, str, str, int]] = {
    "drug form": ("blue", "#1c83e1", "diamond", "◆", 26),
    "condition": ("red", "#ff4b4b", "dot", "●", 22),
    "claim": ("orange", "#ffa421", "dot", "●", 12),
    "risk": ("violet", "#803df5", "triangle", "▲", 16),
    "setting": ("green", "#21c354", "square", "■", 16),
    "monitoring": ("green", "#21c354", "star", "★", 16),
    "alternative": ("gray", "#808495", "diamond", "◆", 16),
    "source": ("gray", "#808495", "square", "■", 9),
    "mechanism": ("violet", "#803df5", "star", "★", 16),
    "other": ("gray", "#808495", "dot", "●", 10),
}
_HOVER_ONLY = {"claim", "source"}
_ESTABLISHED = {"approved", "guideline-established", "treats"}


def legend_markdown() -> str:
    kinds = " · ".join(f":{c}[{glyph}] {kind}" for kind, (c, _, _, glyph, _) in KIND_STYLE.items() if kind != "other")
    edges = "edges: solid = approved or guideline-established · dashed = off-label or investigational · " \
            "wider = stronger evidence · :red[red] = source does not support"
    return kinds + "  \n" + edges


def _clip(text: str, n: int = 38) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _edge_style(data: dict[str, Any]) -> dict[str, Any]:
    relation = data["relation"]
    status = data.get("status", "")
    style: dict[str, Any] = {"color": "#b0b4c0", "width": 1, "dashes": False}
    if relation == "treats":
        style.update(color="#1c83e1", width=4)
    elif relation == "studied to treat":
        style.update(color="#1c83e1", width=2, dashes=True)
    elif "rank" in data and relation in ("about condition", "alternative for"):
        style["width"] = 1 + data["rank"]
        style["dashes"] = status not in _ESTABLISHED
        style["color"] = "#ff4b4b" if data.get("direction") == "does not support" else "#21c354"
    return style


def draw(view: nx.MultiDiGraph, *, selected: str | None = None, height: int = 620) -> str | None:
    """Render ``view``; return the id of the node the user clicked (or None)."""
    from streamlit_agraph import Config, Edge, Node, agraph

    nodes = []
    for node, data in view.nodes(data=True):
        _, color, shape, _, size = KIND_STYLE.get(data.get("kind", "other"), KIND_STYLE["other"])
        label = data.get("label", node)
        # Claims and sources are many and their labels long: they show on hover, not on the canvas,
        # so the drugs, conditions and risks stay readable.
        shown = "" if data.get("kind") in _HOVER_ONLY and node != selected else _clip(label)
        nodes.append(Node(
            # The component copies the tooltip into a div with innerHTML, so it must be escaped
            # HTML: an <img onerror> in a label would otherwise run in the graph's frame.
            id=node, label=shown, title=html.escape(f"{data.get('kind', '')}: {label}"), shape=shape,
            color=color, size=size + (8 if node == selected else 0),
            borderWidth=4 if node == selected else 1,
        ))
    edges = []
    for u, v, data in view.edges(data=True):
        edges.append(Edge(source=u, target=v, label="", title=html.escape(data["relation"]), **_edge_style(data)))
    config = Config(
        height=height, directed=True, physics=True, hierarchical=False,
        # Stabilise off-screen, then stop: a capped graph settles quickly and never keeps the page busy.
        physics_options={"stabilization": {"iterations": 150, "fit": True}, "barnesHut": {"springLength": 120}},
        nodeHighlightBehavior=True, highlightColor="#ffa421", collapsible=False,
    )
    config.width = "100%"  # Config turns numbers into pixels; the component takes any CSS width
    return agraph(nodes=nodes, edges=edges, config=config)
