"""Draw a networkx subgraph with the project's own Cytoscape.js component (viewer/component/).

The component is keyed, so a filter change sends new elements to the same iframe instead of
building a new one. Positions come from one layout of the whole projection, computed once per
graph and cached (:func:`layout_positions`), so a node stays where it was when the filters change.
Nodes are coloured and shaped by kind; the browser labels the best-connected nodes whose labels
fit without overlapping and shows the rest on hover or when zoomed in. Claim and alternative
edges are styled by evidence: solid for approved or guideline-established uses, dashed for
off-label and investigational ones, wider for stronger evidence, red where the source did not
support the effect.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import networkx as nx

from .widget import component

__all__ = [
    "KIND_STYLE",
    "clicked_node",
    "draw",
    "elements",
    "layout_positions",
    "legend_markdown",
    "place",
    "positions_for",
]

#: kind -> (Streamlit colour name, hex, Cytoscape shape, glyph for the legend, node size in px)
KIND_STYLE: dict[str, tuple[str, str, str, str, int]] = {
    "drug form": ("blue", "#1c83e1", "diamond", "◆", 30),
    "condition": ("red", "#ff4b4b", "ellipse", "●", 22),
    "claim": ("orange", "#ffa421", "ellipse", "●", 14),
    "risk": ("violet", "#803df5", "triangle", "▲", 20),
    "setting": ("green", "#21c354", "round-rectangle", "■", 20),
    "monitoring": ("green", "#21c354", "star", "★", 20),
    "alternative": ("gray", "#808495", "diamond", "◆", 18),
    "source": ("gray", "#808495", "round-rectangle", "■", 10),
    "mechanism": ("violet", "#803df5", "star", "★", 20),
    "other": ("gray", "#808495", "ellipse", "●", 14),
}
#: Kinds whose labels are long and many: shown on hover only, never on the canvas.
_HOVER_ONLY = {"claim", "source"}
_ESTABLISHED = {"approved", "guideline-established", "treats"}
#: Spread of the layout in Cytoscape's model coordinates.
_SCALE = 1000.0


def legend_markdown() -> str:
    kinds = " · ".join(f":{c}[{glyph}] {kind}" for kind, (c, _, _, glyph, _) in KIND_STYLE.items() if kind != "other")
    edges = (
        "edges: solid = approved or guideline-established · dashed = off-label or investigational · "
        "wider = stronger evidence · :red[red] = source does not support · "
        "hover a node for its name, click it for its page"
    )
    return kinds + "  \n" + edges


def _clip(text: str, n: int = 34) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _jitter(node: str) -> tuple[float, float]:
    digest = hashlib.blake2b(node.encode(), digest_size=4).digest()
    angle = digest[0] / 255 * 2 * math.pi
    radius = 0.03 + digest[1] / 255 * 0.04
    return radius * math.cos(angle), radius * math.sin(angle)


def layout_positions(graph: nx.MultiDiGraph, core_limit: int = 3000) -> dict[str, tuple[float, float]]:
    """One position per node, computed once for the whole graph (callers cache it).

    The force layout runs on the best-connected ``core_limit`` nodes other than sources; every other
    node (sources, which hang off claims, and the tail of a very large graph) is placed beside its
    placed neighbours, so the layout's cost stays bounded and it never changes between views.
    """
    simple: nx.Graph[str] = nx.Graph()
    simple.add_nodes_from(graph)
    simple.add_edges_from((u, v) for u, v in graph.edges() if u != v)
    core = [n for n in graph if graph.nodes[n].get("kind") != "source"]
    core = sorted(core, key=lambda n: (-simple.degree(n), n))[:core_limit]
    sub = simple.subgraph(core)
    pos: dict[str, tuple[float, float]] = {}
    if len(core):
        raw = nx.spring_layout(sub, seed=7, iterations=200, k=2.6 / math.sqrt(max(1, len(core))))
        pos = {n: (float(x), float(y)) for n, (x, y) in raw.items()}
    pending = [n for n in graph if n not in pos]
    for _ in range(3):  # neighbours of neighbours of the core, and so on
        later = []
        for n in pending:
            placed = [pos[m] for m in simple.neighbors(n) if m in pos]
            if not placed:
                later.append(n)
                continue
            dx, dy = _jitter(n)
            pos[n] = (sum(p[0] for p in placed) / len(placed) + dx, sum(p[1] for p in placed) / len(placed) + dy)
        pending = later
    for n in pending:  # unconnected: a ring outside the rest
        dx, dy = _jitter(n)
        pos[n] = (1.15 * dx / math.hypot(dx, dy), 1.15 * dy / math.hypot(dx, dy))
    # Wider than tall, as the frame is.
    return {n: (round(x * _SCALE * 1.4, 1), round(y * _SCALE, 1)) for n, (x, y) in pos.items()}


def place(
    view: nx.MultiDiGraph,
    start: dict[str, tuple[float, float]],
    fixed: dict[str, tuple[float, float]],
    width: float = 1000.0,
    height: float = 1000.0,
) -> dict[str, tuple[float, float]]:
    """Positions for the nodes of ``view`` that have none yet, around those in ``fixed``, which stay
    exactly where they are. Without any fixed node the view is laid out on its own (from ``start``,
    the whole graph's layout, so it looks alike from view to view) to fill a ``width`` x ``height``
    area: a filtered view is spread out instead of keeping the whole graph's gaps."""
    simple: nx.Graph[str] = nx.Graph()
    simple.add_nodes_from(view)
    simple.add_edges_from((u, v) for u, v in view.edges() if u != v)
    if not len(simple):
        return {}
    if not fixed:
        # Kamada-Kawai spreads a view of a few hundred nodes evenly (a force layout leaves hubs'
        # leaves in clumps); larger views take the cheaper force layout.
        if len(simple) <= 150:
            raw = nx.kamada_kawai_layout(simple, scale=1.0)
        else:
            raw = nx.spring_layout(simple, seed=7, iterations=60)
        return {n: (round(float(x) * width / 2, 1), round(float(y) * height / 2, 1)) for n, (x, y) in raw.items()}
    new = [n for n in simple if n not in fixed]
    if not new:
        return {}
    # New nodes start beside their placed neighbours (or where the whole-graph layout has them) and
    # settle among the fixed ones; networkx keeps fixed nodes put and does not rescale.
    pos: dict[str, tuple[float, float]] = {n: fixed[n] for n in simple if n in fixed}
    for n in new:
        near = [pos[m] for m in simple.neighbors(n) if m in pos]
        dx, dy = _jitter(n)
        if near:
            pos[n] = (
                sum(p[0] for p in near) / len(near) + dx * width,
                sum(p[1] for p in near) / len(near) + dy * height,
            )
        else:
            pos[n] = start.get(n, (dx * width, dy * height))
    spread = max(width, height) / math.sqrt(len(simple))
    raw = nx.spring_layout(simple, pos=pos, fixed=[n for n in simple if n in fixed], k=spread, iterations=40, seed=7)
    return {n: (round(float(raw[n][0]), 1), round(float(raw[n][1]), 1)) for n in new}


def _edge_style(data: dict[str, Any]) -> dict[str, Any]:
    relation = data["relation"]
    status = data.get("status", "")
    style: dict[str, Any] = {"color": "#b0b4c0", "width": 1, "line": "solid"}
    if relation == "treats":
        style.update(color="#1c83e1", width=4)
    elif relation == "studied to treat":
        style.update(color="#1c83e1", width=2, line="dashed")
    elif "rank" in data and relation in ("about condition", "alternative for"):
        style["width"] = 1 + data["rank"]
        style["line"] = "solid" if status in _ESTABLISHED else "dashed"
        style["color"] = "#ff4b4b" if data.get("direction") == "does not support" else "#21c354"
    return style


def elements(
    view: nx.MultiDiGraph, positions: dict[str, tuple[float, float]], selected: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The component's nodes and edges for ``view``; plain data, labels as text (never HTML)."""
    nodes = []
    for node, data in view.nodes(data=True):
        kind = data.get("kind", "other")
        _, color, shape, _, size = KIND_STYLE.get(kind, KIND_STYLE["other"])
        label = data.get("label", node)
        x, y = positions.get(node, (0.0, 0.0))
        # Priority decides which labels are drawn when they would collide: the selection first,
        # then the best-connected; claims and sources only on hover.
        priority = 10_000 if node == selected else (0 if kind in _HOVER_ONLY else 1 + view.degree(node))
        nodes.append(
            {
                "id": node,
                "label": _clip(label),
                "full": label,
                "kind": kind,
                "color": color,
                "shape": shape,
                "size": size + (10 if node == selected else 0),
                "priority": priority,
                "x": x,
                "y": y,
                "selected": node == selected,
            }
        )
    edges = []
    for u, v, key, data in view.edges(keys=True, data=True):
        edges.append(
            {"id": f"{u}>{v}>{key}", "source": u, "target": v, "relation": data["relation"], **_edge_style(data)}
        )
    return nodes, edges


def clicked_node(key: str) -> str | None:
    """The node clicked in the graph component ``key`` since the last rerun, or None. Read before
    drawing, so the click is already the selection in the same rerun."""
    import streamlit as st

    value = st.session_state.get(key)
    if isinstance(value, dict) and value.get("n") != st.session_state.get(f"{key}-seen"):
        st.session_state[f"{key}-seen"] = value.get("n")
        return value.get("id")
    return None


def draw(
    view: nx.MultiDiGraph,
    positions: dict[str, tuple[float, float]],
    *,
    key: str,
    selected: str | None = None,
    height: int = 640,
    fit: str | None = None,
) -> None:
    """Render ``view`` in the keyed graph component: the same iframe, updated in place. The view
    is fitted to the frame when ``fit`` changes (or a node falls outside it), not on every change."""
    nodes, edges = elements(view, positions, selected)
    component(mode="graph", nodes=nodes, edges=edges, height=height, fit=fit or key, key=key, default=None)


def positions_for(graph: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Positions for a small graph drawn on its own (a query's answer, a path): laid out now."""
    if graph.number_of_nodes() == 0:
        return {}
    return layout_positions(graph)
