"""Cached loaders for the viewer: one query worker and one projection per server process."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from ketamine_kg.layout import Layout, find_layout
from ketamine_kg.query.catalogue import NamedQuery, load_catalogue
from ketamine_kg.query.engine import Limits, QueryWorker
from ketamine_kg.query.network import Projection, project
from ketamine_kg.query.results import QueryResult, Term, compact
from ketamine_kg.query.worker import Worker
from ketamine_kg.rdf.iris import DOI_URL, NCT_URL, PUBMED_URL
from ketamine_kg.settings import settings

from .text import CITATION_QUERY, Citation, citation_from

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "DISCLAIMER",
    "Details",
    "all_labels",
    "drawn_subgraph",
    "entity_details",
    "explore_choices",
    "get_catalogue",
    "anchored_positions",
    "get_layout",
    "get_positions",
    "get_projection",
    "get_worker",
    "graph_path",
    "member_choices",
    "tool_exports",
    "warm",
]

DISCLAIMER = (
    "**Research and education resource, not medical advice.** ketamine-kg summarises published "
    "sources; it is not a clinical guideline. Decisions about treatment belong with a qualified clinician."
)
#: The same limits as the command line's defaults.
USER_LIMITS = Limits(timeout=30, max_rows=10_000)


@st.cache_resource(show_spinner=False)
def get_layout() -> Layout:
    return find_layout()


def graph_path() -> Path:
    """The graph the viewer serves: ``$KETAMINE_KG_GRAPH`` or the project's built N-Triples."""
    return settings().graph or get_layout().graph_file("nt")


#: Set when a page has been served: the background warm-up may take the processor then.
FIRST_PAGE_SERVED = threading.Event()
#: When a page script last started (``time.monotonic()``), set by chrome.header: the warm-up's
#: heavier steps wait for a quiet moment, so they do not slow a reader's clicks.
LAST_RUN = [0.0]


def _wait_until_quiet(quiet_s: float = 1.5, most_s: float = 60.0) -> None:
    deadline = time.monotonic() + most_s
    while time.monotonic() < deadline and time.monotonic() - LAST_RUN[0] < quiet_s:
        time.sleep(0.1)


#: What ``viewer/launch.py`` starts computing while Streamlit itself starts: (what, path) -> future.
_WARM: dict[tuple[str, str], Future] = {}


def _warmed(what: str, path: str) -> Any:
    """The value the launcher computed in the background, or None (not started, or it failed)."""
    future = _WARM.pop((what, path), None)
    if future is None:
        return None
    try:
        return future.result()
    except Exception:  # computed again below, where its error reaches the page
        return None


def warm(path: str, after_s: float = 15.0) -> None:
    """Load the graph, project it and lay it out before the first reader arrives (run in a thread
    of the Streamlit process by viewer/launch.py). Each step's future is registered before it
    runs, so a page that asks meanwhile waits for it instead of doing the work twice."""
    if settings().endpoint or not Path(path).is_file():
        return
    futures = {"worker": _WARM.setdefault(("worker", path), Future())}
    try:
        worker = QueryWorker(Path(path))
        worker.run("ASK { }", None, USER_LIMITS)  # the worker process starts and loads the graph now
        futures["worker"].set_result(worker)
        # Streamlit imports these on the first component call (half a second): once its server is
        # up (not to slow its start), while the browser is still loading Streamlit's own scripts.
        from streamlit.runtime import Runtime

        for _ in range(200):
            if Runtime.exists() and Runtime.instance().state.name in (
                "NO_SESSIONS_CONNECTED",
                "ONE_OR_MORE_SESSIONS_CONNECTED",
            ):
                break
            FIRST_PAGE_SERVED.wait(0.05)
        import pandas  # noqa: F401  (streamlit.dataframe_util.is_dataframe_like imports both)
        import pyarrow  # noqa: F401

        # The rest is for Explore: it starts once the first page is served (two cores are shared
        # by the server, the browser and this thread), or after ``after_s`` at the latest.
        FIRST_PAGE_SERVED.wait(after_s)
        _wait_until_quiet()
        futures.update({what: _WARM.setdefault((what, path), Future()) for what in ("projection", "positions")})
        projection = project(worker)
        futures["projection"].set_result(projection)
        from .graphview import layout_positions

        _wait_until_quiet()
        futures["positions"].set_result(layout_positions(projection.graph))
        _wait_until_quiet()
        with contextlib.suppress(Exception):  # only a head start: the pages pay it otherwise
            _first_use_costs()
        _wait_until_quiet()
        futures["anchored"] = _WARM.setdefault(("anchored", path), Future())
        futures["anchored"].set_result(_default_layout(projection))
        _wait_until_quiet()
        import gc

        import scipy.optimize  # noqa: F401  (Kamada-Kawai, for Explore's first view)

        # What is loaded now (the projection, its layout, the imported modules) lives as long as
        # the server: out of the collector's sight, a full collection that Python starts on its
        # own during a click walks only what the page scripts made since.
        gc.freeze()
    except Exception as exc:
        for future in futures.values():
            if not future.done():
                future.set_exception(exc)


def _first_use_costs() -> None:
    """What a page pays once per process, paid here instead: Streamlit's emoji table (a regular
    expression of thousands of alternatives, compiled when Explore's kind pills, labelled with a
    glyph, are first drawn) and the identifier prefixes' converter (an entity page's links)."""
    from streamlit.string_util import extract_leading_emoji

    from ketamine_kg.rdf.prefixes import converter

    extract_leading_emoji("◆ drug form")
    converter()


def _default_layout(projection: Projection) -> tuple[tuple[str, ...], dict[str, tuple[float, float]]]:
    """Explore's first view's anchor (its default kinds, every relation, no condition, 60 nodes) and
    the layout around it, as :func:`anchored_positions` computes them for the page."""
    from ketamine_kg.query.network import subgraph

    from .graphview import DEFAULT_KINDS, anchored_layout

    view, _ = subgraph(projection, kinds=set(DEFAULT_KINDS), max_nodes=60)
    anchor = tuple(sorted(_linked(view, set())))
    return anchor, anchored_layout(projection.graph, list(anchor))


@st.cache_resource(show_spinner="Loading the graph…")
def get_worker(path: str) -> Worker:
    if (ready := _warmed("worker", path)) is not None:
        return ready
    endpoint = settings().endpoint
    if endpoint:  # a SPARQL server instead of the embedded store (ketamine-kg viewer --endpoint URL)
        from ketamine_kg.query.remote import RemoteWorker

        return RemoteWorker(endpoint, settings().endpoint_graph)
    if not Path(path).is_file():
        from ketamine_kg.build.pipeline import build

        build(get_layout())  # a fresh checkout without built files builds them once
    return QueryWorker(Path(path))


@st.cache_resource(show_spinner="Projecting the graph…")
def get_projection(path: str) -> Projection:
    if (ready := _warmed("projection", path)) is not None:
        return ready
    return project(get_worker(path))


@st.cache_resource(show_spinner=False)
def explore_choices(path: str) -> tuple[list[str], list[str], list[str]]:
    """The Explore filters' options: node kinds, relations, conditions by label.

    Computed once per graph, not on every rerun: each walks the whole projection.
    """
    projection = get_projection(path)
    g = projection.graph
    kinds = sorted({projection.kind(n) for n in g})
    relations = sorted({d["relation"] for *_, d in g.edges(data=True)})
    # analysis.project labels every node it adds, so the lookup cannot miss.
    conditions = sorted((n for n in g if projection.kind(n) == "condition"), key=projection.labels.__getitem__)
    return kinds, relations, conditions


@st.cache_resource(show_spinner=False, max_entries=64)
def drawn_subgraph(
    path: str,
    kinds: tuple[str, ...],
    relations: tuple[str, ...],
    min_rank: int,
    condition: str | None,
    focus: tuple[str, ...],
    max_nodes: int,
    expand: tuple[str, ...] = (),
) -> tuple[nx.MultiDiGraph, int]:
    """:func:`analysis.subgraph` for one set of filters, shared by every session (callers only read it).

    A node with no edge under these filters (a source cited only by studies, a risk named only in
    results) says nothing in a network picture: it is left out unless it was picked or expanded
    (or nothing drawn has an edge),
    and the view's ``unlinked`` graph attribute counts those left out. Filtering walks the whole
    projection; on a large graph that is most of a rerun, so a filter set seen before (the default
    view above all) is not filtered again.
    """
    from ketamine_kg.query.network import subgraph

    view, matched = subgraph(
        get_projection(path),
        kinds=set(kinds),
        relations=set(relations),
        min_rank=min_rank,
        condition=condition,
        focus=set(focus) or None,
        expand=set(expand) or None,
        max_nodes=max_nodes,
    )
    return _linked(view, set(focus) | set(expand)), matched


def _linked(view: nx.MultiDiGraph, keep: set[str]) -> nx.MultiDiGraph:
    """``view`` without its nodes that have no edge (except ``keep``), counted as ``unlinked``; a
    view with no edge at all (drug forms alone) is a list of what matches, drawn whole."""
    alone = [n for n in view if view.degree(n) == 0 and n not in keep] if view.number_of_edges() else []
    view.remove_nodes_from(alone)
    view.graph["unlinked"] = len(alone)
    return view


@st.cache_resource(show_spinner=False)
def get_positions(path: str) -> dict[str, tuple[float, float]]:
    """One layout of the whole projection, computed once per graph: every view draws its nodes
    where this puts them, so nothing moves when the filters change."""
    from .graphview import layout_positions

    if (ready := _warmed("positions", path)) is not None:
        return ready
    return layout_positions(get_projection(path).graph)


@st.cache_resource(show_spinner=False, max_entries=64)
def anchored_positions(path: str, anchor: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """:func:`graphview.anchored_layout` of the whole projection around one anchor view, shared by
    every session: a node's place depends on the anchor alone, never on what else is drawn."""
    from .graphview import anchored_layout

    warmed = _WARM.get(("anchored", path))
    if warmed is not None and warmed.done() and not warmed.exception() and warmed.result()[0] == anchor:
        return warmed.result()[1]
    return anchored_layout(get_projection(path).graph, list(anchor))


@st.cache_resource(show_spinner=False)
def get_catalogue() -> dict[str, NamedQuery]:
    return load_catalogue(get_layout().queries)


_MEMBERS = """
SELECT ?class ?item ?label WHERE { ?item a ?class ; rdfs:label ?label . } ORDER BY LCASE(?label)
"""


@st.cache_data(show_spinner=False)
def member_choices(path: str, class_curie: str) -> list[tuple[str, str]]:
    """(CURIE, label) of every member of a class, for parameter choices."""
    from ketamine_kg.query.catalogue import expand

    result = get_worker(path).run(_MEMBERS, {"class": Term.iri(expand(class_curie))}, USER_LIMITS)
    seen, out = set(), []
    for row in result.records():
        if row["item"] not in seen:
            seen.add(row["item"])
            out.append((row["item"], row["label"]))
    return out


_OUTGOING = """
SELECT ?entity ?p ?pLabel ?o ?oLabel WHERE {
  ?entity ?p ?o .
  OPTIONAL { ?p rdfs:label ?pLabel }
  OPTIONAL { ?o rdfs:label ?oLabel }
} ORDER BY ?p ?o
"""
_INCOMING = """
SELECT ?entity ?s ?sLabel ?p ?pLabel WHERE {
  ?s ?p ?entity .
  OPTIONAL { ?s rdfs:label ?sLabel }
  OPTIONAL { ?p rdfs:label ?pLabel }
} ORDER BY ?p ?s LIMIT 500
"""


@dataclass
class Details:
    """What the detail panel shows for one entity."""

    curie: str
    iri: str
    label: str
    properties: list[dict[str, str]]
    incoming: list[dict[str, str]]
    links: list[tuple[str, str]]  #: (text, URL): PubMed, DOI, label pages, registries
    sources: list[Citation]  #: what the entity cites, as citations with links


def _link_for(predicate: str, value: Term) -> tuple[str, str] | None:
    """The outside page a property value points to, if it has one."""
    from ketamine_kg.rdf.prefixes import check_curie, expand_curie

    text = value.value
    if value.kind == "iri" and predicate in (
        "rdfs:seeAlso",
        "skos:exactMatch",
        "skos:closeMatch",
        "skos:broadMatch",
        "skos:narrowMatch",
        "skos:relatedMatch",
    ):
        return (text, text)
    if predicate == "kk:pmid":
        return (f"PubMed {text}", PUBMED_URL.format(text))
    if predicate == "kk:doi":
        return (f"doi:{text}", DOI_URL.format(text))
    if predicate == "kk:nct":
        return (text, NCT_URL.format(text))
    if predicate == "kk:readAt":
        return ("page read", text)
    if predicate in ("oboInOwl:hasDbXref", "kk:curie") and check_curie(text) is None:
        return (text, expand_curie(text))
    return None


@st.cache_data(show_spinner=False, max_entries=256)
def entity_details(path: str, curie: str) -> Details | None:
    """Every property of one entity, the statements pointing at it, and its outside links."""
    from ketamine_kg.query.catalogue import expand

    worker = get_worker(path)
    iri = expand(curie)
    binding = {"entity": Term.iri(iri)}
    out: QueryResult = worker.run(_OUTGOING, binding, USER_LIMITS)
    if not out.rows:
        return None
    props, links, label = [], [], compact(Term.iri(iri))
    index = {v: i for i, v in enumerate(out.variables)}
    for row in out.rows:
        p, o = row[index["p"]], row[index["o"]]
        p_text = compact(p)
        if p_text == "rdfs:label" and o is not None:
            label = o.value
        p_label = row[index["pLabel"]]
        o_label = row[index["oLabel"]]
        props.append(
            {
                "property": p_label.value if p_label else p_text,
                "value": o_label.value if o_label else compact(o),
                "id": compact(o) if o is not None and o.kind == "iri" else "",
                "p": p_text,
            }
        )
        link = _link_for(p_text, o) if o is not None else None
        if link:
            links.append(link)
    incoming = [
        {
            "statement": r.get("sLabel", r.get("s", "")),
            "via": r.get("pLabel", r.get("p", "")),
            "id": r.get("s", ""),
            "p": r.get("p", ""),
        }
        for r in worker.run(_INCOMING, binding, USER_LIMITS).records()
    ]
    return Details(
        curie=compact(Term.iri(iri)),
        iri=iri,
        label=label,
        properties=props,
        incoming=incoming,
        links=links,
        sources=[citation_from(r) for r in worker.run(CITATION_QUERY, binding, USER_LIMITS).records()],
    )


@st.cache_data(show_spinner="Preparing the exports…", max_entries=1)
def tool_exports(root: str) -> dict[str, tuple[str, bytes, str]]:
    """Every export for other tools: format -> (file name, bytes, MIME type); folders as zip files."""
    import io
    import zipfile

    from ketamine_kg.export.writer import MULTI_FILE_FORMATS, export_bytes, export_files, split_provenance

    layout = Layout(Path(root))
    split = split_provenance(layout)
    out: dict[str, tuple[str, bytes, str]] = {}
    singles = {
        "trig": ("ketamine-kg.trig", "application/trig"),
        "nquads": ("ketamine-kg.nq", "application/n-quads"),
        "graphml": ("ketamine-kg.graphml", "application/graphml+xml"),
        "gexf": ("ketamine-kg.gexf", "application/xml"),
    }
    for fmt, (name, mime) in singles.items():
        out[fmt] = (name, export_bytes(layout, fmt, split), mime)
    for fmt in MULTI_FILE_FORMATS:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in sorted(export_files(layout, fmt, split).items()):
                # A fixed timestamp keeps the archive the same bytes on every run.
                archive.writestr(zipfile.ZipInfo(f"ketamine-kg-{fmt}/{name}", date_time=(2026, 1, 1, 0, 0, 0)), content)
        out[fmt] = (f"ketamine-kg-{fmt}.zip", buffer.getvalue(), "application/zip")
    return out


@st.cache_resource(show_spinner=False)
def all_labels(path: str) -> dict[str, str]:
    """Every labelled IRI's label by CURIE, for answers whose IRIs come without a label column."""
    out: dict[str, str] = {}
    result = get_worker(path).run(
        "SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(isIRI(?s)) }",
        None,
        Limits(timeout=30, max_rows=2_000_000),
    )
    for row in result.rows:
        label = row[1]
        assert label is not None  # ?label is bound in every answer of this query
        out.setdefault(compact(row[0]), label.value)
    return out
