"""Showing an answer: errors in words, tables for people, and the chart, tree or graph that fits."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from ketamine_kg.query.results import QueryResult, compact

from . import data
from .answers import plain_error, show_table
from .graphview import draw, positions_for
from .text import EVIDENCE_LEVELS, entity_md

__all__ = ["evidence_chart", "frame_of", "only", "show_error", "show_result"]


def show_error(exc: Exception, text: str | None = None) -> None:
    # Errors are the user's to read: plain words, where and what, no traceback.
    message = " ".join(str(exc).split())
    marker = None
    if text is not None and "malformed SPARQL" in message:
        message, marker = plain_error(str(exc), text)
    st.error(message)
    if marker:
        st.code(marker, language=None)


def show_result(result: QueryResult, path: str, *, view: str = "table", key: str = "result") -> None:
    if result.kind == "ask":
        st.metric("Answer", "yes" if result.boolean else "no")
        return
    if result.truncated:
        st.warning(f"Results cut at {result.max_rows:,} rows. Narrow the query to see the rest.")
    if result.kind == "graph":
        _triples_graph(result)
        with st.expander(f"{len(result.triples)} triples as a table"):
            st.dataframe(frame_of(result), hide_index=True, width="stretch")
        return
    if view == "tree":
        _tree(result)
    frame = show_table(result, data.all_labels(path), key=key)
    if frame.empty:
        return
    raw = frame_of(result)
    if view == "chart" and {"conditionLabel", "drugLabel", "bestEvidenceRank"} <= set(raw.columns):
        evidence_chart(raw)
    elif view == "timeline" and {"date", "agencyLabel", "drugLabel"} <= set(raw.columns):
        _timeline_chart(raw)
    elif view == "graph":
        _rows_graph(result)


def frame_of(result: QueryResult) -> pd.DataFrame:
    return pd.DataFrame([[compact(t) for t in row] for row in result.rows], columns=result.variables)


def _tree(result: QueryResult) -> None:
    """A ``condition``/``parent`` answer as an indented tree, each label a link to its page."""
    records = result.records()
    labels = {
        r["condition"]: r.get("conditionLabel", r.get("label", r["condition"])) for r in records if "condition" in r
    }
    children: dict[str, list[str]] = {}
    has_parent = set()
    for r in records:
        if "condition" in r and "parent" in r and r["parent"] in labels:
            children.setdefault(r["parent"], []).append(r["condition"])
            has_parent.add(r["condition"])
    lines: list[str] = []

    def walk(node: str, depth: int, seen: frozenset[str]) -> None:
        lines.append("    " * depth + "- " + entity_md(node, labels.get(node, node)))
        for child in sorted(set(children.get(node, [])), key=lambda c: (labels[c] if c in labels else c).casefold()):
            if child not in seen:
                walk(child, depth + 1, seen | {child})

    for root in sorted((c for c in labels if c not in has_parent), key=lambda c: labels[c].casefold()):
        walk(root, 0, frozenset({root}))
    if lines:
        st.markdown("\n".join(lines))


def _iri_pair(result: QueryResult) -> tuple[str, ...]:
    """The first two IRI columns of an answer (not its ``relation`` column)."""
    index = {v: i for i, v in enumerate(result.variables)}
    return tuple(
        v
        for v in result.variables
        if v != "relation" and any(t is not None and t.kind == "iri" for t in (row[index[v]] for row in result.rows))
    )[:2]


def _node_label(row: dict[str, str], node: str, first: bool) -> str:
    fallback = row.get("label", row[node]) if first else row[node]
    return row.get(f"{node}Label", fallback)


def _rows_graph(result: QueryResult) -> None:
    """A drawing of a table answer: an edge between the first two IRI columns of each row,
    named by its ``relation`` column if it has one; ``xLabel`` columns name the nodes."""
    import networkx as nx

    columns = _iri_pair(result)
    if len(columns) < 2:
        return
    a, b = columns
    g: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    kinds = {"condition": "condition", "drug": "drug form"}
    for row in (r for r in result.records() if a in r and b in r):
        for node in (a, b):
            g.add_node(row[node], label=_node_label(row, node, node == a), kind=kinds.get(node, "other"))
        g.add_edge(row[a], row[b], relation=row.get("relation", ""))
    if g.number_of_nodes():
        draw(g, positions_for(g), key=f"answer-graph-{a}-{b}", height=460)


def _timeline_chart(frame: pd.DataFrame) -> None:
    import plotly.express as px

    plot = frame.assign(when=pd.to_datetime(frame["date"], errors="coerce")).dropna(subset=["when"])
    figure = px.scatter(
        plot,
        x="when",
        y="agencyLabel",
        color="drugLabel",
        hover_data=[c for c in ("indication",) if c in plot],
        labels={"when": "approval date", "agencyLabel": "agency", "drugLabel": "drug form"},
    )
    figure.update_traces(marker={"size": 14})
    figure.update_xaxes(tickformat="%Y")
    figure.update_layout(height=200 + 40 * plot["agencyLabel"].nunique(), legend={"orientation": "h", "y": -0.3})
    st.plotly_chart(figure, width="stretch", config={"displaylogo": False})


def _triples_graph(result: QueryResult) -> None:
    import networkx as nx

    g: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    labels: dict[str, str] = {}
    for s, p, o in result.triples:
        if compact(p) == "rdfs:label":
            labels[compact(s)] = o.value
    for s, p, o in result.triples:
        if o.kind != "iri" or compact(p) == "rdf:type":
            continue
        for n in (compact(s), compact(o)):
            g.add_node(n, label=labels.get(n, n), kind="other")
        g.add_edge(compact(s), compact(o), relation=compact(p))
    if g.number_of_nodes():
        g = g.subgraph(list(g)[:150]).copy()
        draw(g, positions_for(g), key="answer-triples", height=520)


#: Evidence level (words) -> a colour every level of which stands out on white, light to dark.
EVIDENCE_COLOURS = {
    EVIDENCE_LEVELS[0]: "#9ecae1",
    EVIDENCE_LEVELS[1]: "#6baed6",
    EVIDENCE_LEVELS[2]: "#4292c6",
    EVIDENCE_LEVELS[3]: "#2171b5",
    EVIDENCE_LEVELS[4]: "#08519c",
    EVIDENCE_LEVELS[5]: "#08306b",
}


def evidence_chart(frame: pd.DataFrame) -> None:
    """Drug forms across, conditions down: one dot per pair, so no pair hides another. Colour is
    the best evidence level in words (no level drawn in white), the symbol the most advanced
    regulatory status, the size the claims."""
    import plotly.express as px

    plot = frame.assign(
        evidence=frame["bestEvidenceRank"].astype(int).map(EVIDENCE_LEVELS),
        claims=frame["claims"].astype(int),
    )
    figure = px.scatter(
        plot,
        x="drugLabel",
        y="conditionLabel",
        color="evidence",
        size="claims",
        symbol="anyStatus",
        hover_data=["evidence", "anyStatus", "claims"],
        color_discrete_map=EVIDENCE_COLOURS,
        category_orders={"evidence": list(EVIDENCE_COLOURS)[::-1]},
        labels={
            "evidence": "best evidence",
            "conditionLabel": "condition",
            "drugLabel": "drug form",
            "anyStatus": "regulatory status",
        },
    )
    figure.update_layout(height=160 + 30 * plot["conditionLabel"].nunique(), legend={"orientation": "h", "y": -0.15})
    st.caption("Colour: best evidence level (darker = stronger). Symbol: regulatory status. Size: number of claims.")
    st.plotly_chart(figure, width="stretch", config={"displaylogo": False})


def only(result: QueryResult, variables: list[str]) -> QueryResult:
    """``result`` with only ``variables`` (those it has), in that order."""
    keep = [v for v in variables if v in result.variables]
    index = [result.variables.index(v) for v in keep]
    return dataclasses.replace(result, variables=keep, rows=[tuple(row[i] for i in index) for row in result.rows])
