"""Draw a networkx subgraph with the project's own Cytoscape.js component (viewer/component/).

The component is keyed, so a filter change sends new elements to the same iframe instead of
building a new one. Explore's positions come from :func:`anchored_layout`: the default view for
the filters laid out on its own, every other node placed around it, a function of that anchor
alone, so a node stays where it was when kinds are switched and a permalink draws the same
picture. Small graphs drawn on their own (a path) use :func:`layout_positions`.
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
    "DEFAULT_KINDS",
    "KIND_STYLE",
    "clicked_node",
    "draw",
    "elements",
    "anchored_layout",
    "layout_positions",
    "legend_html",
    "legend_markdown",
    "positions_for",
]

#: kind -> (colour name, hex, Cytoscape shape, glyph for the legend, node size in px): one colour
#: per kind, none of them the green and red that mean supports / does not support on edges.
KIND_STYLE: dict[str, tuple[str, str, str, str, int]] = {
    "drug form": ("blue", "#1c83e1", "diamond", "◆", 30),
    "condition": ("orange", "#f08c00", "ellipse", "●", 22),
    "claim": ("yellow", "#e9c400", "ellipse", "●", 14),
    "risk": ("violet", "#8e44d8", "triangle", "▲", 20),
    "setting": ("cyan", "#1098ad", "round-rectangle", "■", 20),
    "monitoring": ("indigo", "#4c6ef5", "star", "★", 20),
    "alternative": ("brown", "#8d6e63", "diamond", "◆", 18),
    "source": ("grey", "#adb5bd", "round-rectangle", "■", 10),
    "mechanism": ("pink", "#e64980", "star", "★", 20),
    "other": ("dark grey", "#5f6368", "ellipse", "●", 14),
}
#: Explore's first view: drug forms, conditions and what is known about the drugs, without the
#: many claims and sources (a click on a node or a condition filter brings those in).
DEFAULT_KINDS = ["drug form", "condition", "risk", "mechanism"]
#: Edge colours: what a claim's finding was, and the drug-condition edges.
SUPPORTS, NOT_SUPPORTS, TREATS, PLAIN = "#2b8a3e", "#c92a2a", "#1c83e1", "#b0b4c0"
#: Kinds whose labels are long and many: shown on hover only, never on the canvas.
_HOVER_ONLY = {"claim", "source"}
#: Kinds a reader looks for first: their labels are placed before any other's.
_HUBS = {"drug form": 3000, "condition": 2000, "risk": 500, "alternative": 300}
_ESTABLISHED = {"approved", "guideline-established", "treats"}
#: Spread of the layout in Cytoscape's model coordinates.
_SCALE = 1000.0


def _swatch(colour: str, glyph: str, text: str) -> str:
    return (
        f'<span style="white-space:nowrap;margin-right:.9em"><span style="color:{colour}">{glyph}</span> {text}</span>'
    )


def legend_html(kinds: set[str] | None = None, click: str = "shows its details beside the graph") -> str:
    """The legend of what is drawn, in the colours drawn (fixed text only, never data): the kinds
    present, the edge styles, and what a click does."""
    shown = [k for k in KIND_STYLE if k != "other" and (kinds is None or k in kinds)]
    nodes = "".join(_swatch(KIND_STYLE[k][1], KIND_STYLE[k][3], k) for k in shown)
    edges = "".join(
        (
            _swatch(TREATS, "━", "treats (approved or established)"),
            _swatch(TREATS, "┅", "studied to treat"),
            _swatch(SUPPORTS, "━", "claim: source supports"),
            _swatch(NOT_SUPPORTS, "━", "claim: source does not support"),
            _swatch(PLAIN, "━", "other relation"),
        )
    )
    note = (
        "Dashed: off-label or investigational; wider: stronger evidence. "
        f"Hover (or touch) a node for its name; a click {click}."
    )
    return f'<div style="font-size:.85rem;line-height:1.7">{nodes}<br>{edges}<br>{note}</div>'


def legend_markdown() -> str:
    """The legend as plain markdown (kinds and edge styles in words), for places without HTML."""
    kinds = " · ".join(f"{glyph} {kind}" for kind, (_, _, _, glyph, _) in KIND_STYLE.items() if kind != "other")
    edges = (
        "edges: blue = treats / studied to treat · green = source supports · red = source does not support · "
        "dashed = off-label or investigational · wider = stronger evidence"
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


def _simple(graph: nx.MultiDiGraph) -> nx.Graph:
    """The graph without direction, parallel edges or loops, as the layouts take it."""
    simple: nx.Graph[str] = nx.Graph()
    simple.add_nodes_from(graph)
    simple.add_edges_from((u, v) for u, v in graph.edges() if u != v)
    return simple


def _centre_of(n: str, simple: nx.Graph, pos: dict[str, tuple[float, float]]) -> tuple[float, float] | None:
    """The mean position of ``n``'s placed neighbours, or None if none is placed."""
    near = [pos[m] for m in simple.neighbors(n) if m in pos]
    if not near:
        return None
    return sum(p[0] for p in near) / len(near), sum(p[1] for p in near) / len(near)


def _beside_neighbours(pending: list[str], simple: nx.Graph, pos: dict[str, tuple[float, float]]) -> list[str]:
    """Place each pending node beside its placed neighbours (with a little jitter), three rounds
    (neighbours of neighbours, and so on); return those still unplaced."""
    for _ in range(3):
        later = []
        for n in pending:
            centre = _centre_of(n, simple, pos)
            if centre is None:
                later.append(n)
                continue
            dx, dy = _jitter(n)
            pos[n] = (centre[0] + dx, centre[1] + dy)
        pending = later
    return pending


def layout_positions(graph: nx.MultiDiGraph, core_limit: int = 3000) -> dict[str, tuple[float, float]]:
    """One position per node, computed once for the whole graph (callers cache it).

    The force layout runs on the best-connected ``core_limit`` nodes other than sources; every other
    node (sources, which hang off claims, and the tail of a very large graph) is placed beside its
    placed neighbours, so the layout's cost stays bounded and it never changes between views.
    """
    simple = _simple(graph)
    core = [n for n in graph if graph.nodes[n].get("kind") != "source"]
    core = sorted(core, key=lambda n: (-simple.degree(n), n))[:core_limit]
    pos: dict[str, tuple[float, float]] = {}
    if len(core):
        raw = nx.spring_layout(simple.subgraph(core), seed=7, iterations=200, k=2.6 / math.sqrt(max(1, len(core))))
        pos = {n: (float(x), float(y)) for n, (x, y) in raw.items()}
    for n in _beside_neighbours([n for n in graph if n not in pos], simple, pos):  # unconnected: a ring outside
        dx, dy = _jitter(n)
        pos[n] = (1.15 * dx / math.hypot(dx, dy), 1.15 * dy / math.hypot(dx, dy))
    # Wider than tall, as the frame is.
    return {n: (round(x * _SCALE * 1.4, 1), round(y * _SCALE, 1)) for n, (x, y) in pos.items()}


def _alone(simple: nx.Graph, width: float, height: float) -> dict[str, tuple[float, float]]:
    """A view laid out on its own to fill ``width`` x ``height``: Kamada-Kawai spreads a view of a
    few hundred nodes evenly (a force layout leaves hubs' leaves in clumps); larger views take the
    cheaper force layout."""
    if len(simple) <= 150:
        raw = nx.kamada_kawai_layout(simple, scale=1.0)
    else:
        raw = nx.spring_layout(simple, seed=7, iterations=60)
    return {n: (round(float(x) * width / 2, 1), round(float(y) * height / 2, 1)) for n, (x, y) in raw.items()}


def _spread_apart(
    pos: dict[str, tuple[float, float]], movable: set[str], gap: float, rounds: int = 40
) -> dict[str, tuple[float, float]]:
    """``pos`` with every movable node pushed away from any node closer than ``gap`` (the others stay
    put), a few rounds of half the shortfall each: nodes that sat on one another (a hub under its
    leaves) can each be seen and clicked. Deterministic: the same input gives the same output.
    Only the pairs closer than ``gap`` are looked at (a k-d tree finds them)."""
    import numpy as np
    from scipy.spatial import cKDTree

    names = sorted(pos)
    free = np.array([n in movable for n in names], dtype=float)
    if not free.any():
        return pos
    xy = np.array([pos[n] for n in names], dtype=float)
    for _ in range(rounds):
        pairs = cKDTree(xy).query_pairs(gap, output_type="ndarray")
        if not len(pairs):
            break
        i, j = pairs[:, 0], pairs[:, 1]
        d = xy[i] - xy[j]
        dist = np.hypot(d[:, 0], d[:, 1])
        step = d / np.where(dist > 0, dist, 1.0)[:, None] * ((gap - dist) / 2)[:, None]
        push = np.zeros_like(xy)
        np.add.at(push, i, step)
        np.add.at(push, j, -step)
        xy += push * free[:, None]
    return {n: (round(float(x), 1), round(float(y), 1)) for n, (x, y) in zip(names, xy, strict=True)}


def anchored_layout(
    graph: nx.MultiDiGraph, anchor: list[str], width: float = 1000.0, height: float = 1000.0
) -> dict[str, tuple[float, float]]:
    """One position for every node of ``graph``, a function of ``anchor`` alone (callers cache it).

    The anchor (the view a page draws by default) is laid out on its own to fill ``width`` x
    ``height`` and spread so no two nodes cover each other. Every other node is placed hop by hop
    beside its neighbours placed in earlier hops (a claim between its drug and its condition, a
    source beside its claim), then spread apart around the fixed anchor. A part of the graph with
    no path to the anchor starts on a ring outside it. So any view drawn from these positions puts
    a node in the same place whatever else is drawn, and a permalink redraws the same picture.
    """
    simple = _simple(graph)
    core = [n for n in anchor if n in simple]
    pos = _spread_apart(_alone(simple.subgraph(core), width, height), set(core), 0.055 * width) if core else {}
    rest = sorted(n for n in simple if n not in pos)
    ring = 0
    while rest:
        placed_now = _hops(rest, simple, pos, width)
        rest = [n for n in rest if n not in placed_now]
        if rest:  # a part not linked to what is placed: one of its nodes on the ring outside
            angle = 2 * math.pi * ((ring * 0.618034) % 1)
            pos[rest.pop(0)] = (0.62 * width * math.cos(angle), 0.62 * height * math.sin(angle))
            ring += 1
    return _spread_apart(pos, set(pos) - set(core), 0.045 * width, rounds=80)


def _hops(pending: list[str], simple: nx.Graph, pos: dict[str, tuple[float, float]], width: float) -> set[str]:
    """Place, hop after hop, each pending node beside its neighbours placed in earlier hops (with a
    jitter of its own); return every node placed."""
    done: set[str] = set()
    while True:
        hop = {}
        for n in pending:
            if n in done:
                continue
            centre = _centre_of(n, simple, pos)
            if centre is not None:
                dx, dy = _jitter(n)
                hop[n] = (centre[0] + dx * width, centre[1] + dy * width)
        if not hop:
            return done
        pos.update(hop)
        done.update(hop)


def _edge_style(data: dict[str, Any]) -> dict[str, Any]:
    relation = data["relation"]
    status = data.get("status", "")
    style: dict[str, Any] = {"color": PLAIN, "width": 1, "line": "solid"}
    if relation == "treats":
        style.update(color=TREATS, width=4)
    elif relation == "studied to treat":
        style.update(color=TREATS, width=2, line="dashed")
    elif "rank" in data and relation in ("about condition", "alternative for"):
        style["width"] = 1 + data["rank"]
        style["line"] = "solid" if status in _ESTABLISHED else "dashed"
        style["color"] = NOT_SUPPORTS if data.get("direction") == "does-not-support" else SUPPORTS
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
        # then the hubs a reader looks for (drug forms, conditions, risks), each kind by how
        # connected it is; claims and sources only on hover.
        priority = (
            100_000 if node == selected else (0 if kind in _HOVER_ONLY else 1 + _HUBS.get(kind, 0) + view.degree(node))
        )
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
