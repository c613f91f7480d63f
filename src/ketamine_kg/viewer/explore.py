"""The Explore page: the network, filtered, with a detail panel for the node picked.

Every part of the view is in the URL (kinds, relations, condition, min, max, q, entity, expand),
so a copied link reopens exactly what was drawn, laid out the same (every node's place is a
function of the URL: see :func:`_anchor`). The graph component is keyed: a filter change updates
its elements in place; switching kinds on or off, a click and Expand move no node already drawn.
"""

from __future__ import annotations

import streamlit as st

from . import data
from .entity import statement_groups
from .graphview import DEFAULT_KINDS, KIND_STYLE, clicked_node, draw, legend_html
from .text import EVIDENCE_LEVELS, entity_md, entity_url, md_link, md_text

__all__ = ["DEFAULT_KINDS", "explore"]

GRAPH_KEY = "explore-graph"


def _int_param(name: str, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(st.query_params.get(name, default))))
    except ValueError:
        return default


def _list_param(name: str, allowed: list[str]) -> list[str]:
    return [v for v in st.query_params.get(name, "").split(",") if v in allowed]


def _show_claims() -> None:
    """Picking a condition is asking for its claims: the claim and alternative kinds are switched on."""
    if st.session_state.get("condition") not in (None, "(all)"):
        kinds = list(st.session_state.get("kinds") or [])
        st.session_state["kinds"] = kinds + [k for k in ("claim", "alternative") if k not in kinds]


def explore() -> None:
    from .chrome import header

    path = header("Explore")
    projection = data.get_projection(path)
    params = st.query_params
    kinds_all, relations_all, conditions = data.explore_choices(path)

    with st.sidebar:
        st.header("Filters")
        query = st.text_input("Search by label or synonym", value=params.get("q", ""), key="search")
        kinds = st.pills(
            "Show",
            kinds_all,
            selection_mode="multi",
            key="kinds",
            default=_list_param("kinds", kinds_all)
            if "kinds" in params
            else [
                k
                for k in DEFAULT_KINDS + (["claim", "alternative"] if params.get("condition") else [])
                if k in kinds_all
            ],
            format_func=lambda k: f"{KIND_STYLE.get(k, KIND_STYLE['other'])[3]} {k}",
        )
        condition_options = ["(all)"] + conditions
        chosen = params.get("condition", "(all)")
        condition = st.selectbox(
            "Condition",
            condition_options,
            index=condition_options.index(chosen) if chosen in condition_options else 0,
            format_func=lambda c: "(all conditions)" if c == "(all)" else projection.labels.get(c, c),
            key="condition",
            help=(
                "Only this condition (and the conditions under it), its claims and alternatives,"
                " and what those claims cite."
            ),
            on_change=_show_claims,
        )
        min_rank = st.select_slider(
            "Minimum evidence level",
            options=list(EVIDENCE_LEVELS),
            value=_int_param("min", 0, 0, 5),
            format_func=EVIDENCE_LEVELS.get,
            key="min_rank",
        )
        with st.expander("More filters"):
            relations = st.multiselect(
                "Relations",
                relations_all,
                default=_list_param("relations", relations_all) or relations_all,
                key="relations",
            )
            max_nodes = st.slider("Most nodes drawn", 1, 400, _int_param("max", 60, 1, 400), key="max_nodes")
    selected = _searched(projection, query) or params.get("entity")
    # The whole view lives in the URL, so a copied link reopens it.
    state = {
        "kinds": ",".join(kinds),
        "condition": "" if condition == "(all)" else condition,
        "min": str(min_rank) if min_rank else "",
        "max": str(max_nodes) if max_nodes != 60 else "",
        "q": query,
        "entity": selected or "",
        "relations": ",".join(relations) if set(relations) != set(relations_all) else "",
    }
    _write_state(state)
    _view(path, tuple(sorted(kinds)), tuple(sorted(relations)), min_rank, state["condition"], max_nodes)


def _searched(projection, query: str) -> str | None:
    """The match picked in the sidebar for a search, when it is a new pick."""
    if not query:
        return None
    hits = projection.search(query)
    if not hits:
        st.sidebar.warning(f"No label or synonym contains “{query}”.")
        return None
    pick = st.sidebar.selectbox(
        "Matches",
        hits,
        key="match",
        format_func=lambda n: f"{projection.labels.get(n, n)} ({projection.kind(n)})",
    )
    if pick and pick != st.session_state.get("match-seen"):
        st.session_state["match-seen"] = pick
        return pick
    return None


def _write_state(state: dict[str, str]) -> None:
    """The view's state into the URL: empty values leave it (no kinds at all is a view too)."""
    params = st.query_params
    for name, value in state.items():
        if value or name == "kinds":
            params[name] = value
        elif name in params:
            del params[name]


def _selection(graph) -> tuple[str | None, list[str]]:
    """The node picked (a click on the graph wins over the URL) and the nodes expanded, both put
    back into the URL."""
    params = st.query_params
    expanded = [v for v in params.get("expand", "").split(",") if v in graph]
    selected = clicked_node(GRAPH_KEY) or params.get("entity")
    if selected not in graph:
        selected = None
    for name, value in (("entity", selected or ""), ("expand", ",".join(expanded))):
        if value:
            params[name] = value
        elif name in params:
            del params[name]
    return selected, expanded


@st.fragment
def _view(
    path: str, kinds: tuple[str, ...], relations: tuple[str, ...], min_rank: int, condition: str, max_nodes: int
) -> None:
    """The graph and the detail panel. A click on a node, Expand and Collapse rerun only this part:
    the filters in the sidebar are neither run again nor sent to the browser again."""
    selected, expanded = _selection(data.get_projection(path).graph)

    view, matched = data.drawn_subgraph(
        path,
        kinds,
        relations,
        min_rank,
        condition or None,
        tuple([selected] if selected else []),
        max_nodes,
        tuple(sorted(expanded)),
    )
    left, right = st.columns([2, 1])
    with left:
        if view.number_of_nodes() == 0:
            st.warning("Nothing matches these filters. Widen the node types, relations or evidence level.")
        else:
            anchor = _anchor(path, relations, min_rank, condition, max_nodes)
            # A new anchor is a new picture: it is fitted to the frame (a kinds change is not).
            fit = f"{condition}|{min_rank}|{max_nodes}|{','.join(relations)}"
            draw(view, data.anchored_positions(path, anchor), key=GRAPH_KEY, selected=selected, fit=fit)
        _caption(view, matched, max_nodes)
        st.html(legend_html({view.nodes[n].get("kind", "other") for n in view}))
    with right:
        if selected:
            filters = (path, kinds, relations, min_rank, condition or None, (selected,), max_nodes)
            _panel(path, selected, expanded, _added_by_expanding(view, filters, expanded, selected))
        else:
            st.markdown(
                "Click a node, or search for one, to see what the graph says about it here. "
                "Hover (or touch) a node for its name; zoom in to label more of them."
            )


def _caption(view, matched: int, max_nodes: int) -> None:
    drawn = view.number_of_nodes()
    unlinked = view.graph.get("unlinked", 0)
    alone = (
        f" {unlinked} matching nodes with no link under these filters are not drawn (search finds them)."
        if unlinked
        else ""
    )
    if matched > max_nodes:
        st.caption(
            f"{drawn} nodes drawn of {matched} matching: at most the {max_nodes} most connected, "
            "plus what you picked or expanded. Narrow the filters, pick a condition, or raise “Most nodes drawn”."
            + alone
        )
    else:
        st.caption(f"{drawn} nodes, {view.number_of_edges()} edges.{alone}")


def _anchor(path: str, relations: tuple[str, ...], min_rank: int, condition: str, max_nodes: int) -> tuple[str, ...]:
    """The nodes of the default view for these filters (the kinds a first view shows): the view
    every other one is laid out around. Switching kinds on or off, picking a node and Expand keep
    the anchor, so nothing on the screen moves; a condition, evidence level, relation set or cap
    is a new anchor, laid out anew. It is a function of the URL alone: a permalink redraws the
    same layout."""
    kinds_all = data.explore_choices(path)[0]
    kinds = [k for k in DEFAULT_KINDS + (["claim", "alternative"] if condition else []) if k in kinds_all]
    view, _ = data.drawn_subgraph(path, tuple(sorted(kinds)), relations, min_rank, condition or None, (), max_nodes)
    return tuple(sorted(view))


def _set_expand(nodes: list[str]) -> None:
    # A callback runs before the page does: one run draws the expanded view (no second rerun).
    if nodes:
        st.query_params["expand"] = ",".join(nodes)
    elif "expand" in st.query_params:
        del st.query_params["expand"]


def _added_by_expanding(view, filters: tuple, expanded: list[str], curie: str) -> int:
    """How many nodes expanding ``curie`` would add to ``view`` under the same filters."""
    if curie in expanded:
        return 0
    path, kinds, relations, min_rank, condition, focus, max_nodes = filters
    wider, _ = data.drawn_subgraph(
        path, kinds, relations, min_rank, condition, focus, max_nodes, tuple(sorted(set(expanded) | {curie}))
    )
    return len(set(wider) - set(view))


def _panel(path: str, curie: str, expanded: list[str], adds: int = 0) -> None:
    details = data.entity_details(path, curie)
    if details is None:
        st.warning(f"Nothing in the graph is called {curie}.")
        return
    st.subheader(md_text(details.label))
    st.markdown(md_link("Open its page", entity_url(curie)) + f" · {md_text(details.curie)}")
    buttons = st.columns(2)
    if curie not in expanded and adds:
        buttons[0].button(
            f"Expand (+{adds})",
            key="expand",
            help=f"Add the {adds} nodes one step away from this one that the filters allow",
            on_click=_set_expand,
            args=(sorted(set(expanded) | {curie}),),
        )
    elif curie not in expanded:
        st.caption(
            "Every neighbour these filters allow is drawn already: switch on more kinds under “Show” to see more."
        )
    if expanded:
        buttons[1].button("Collapse", key="collapse", help="Remove every expansion", on_click=_set_expand, args=([],))
    groups = statement_groups(details.properties)
    lines = []
    for name, values in sorted(groups.items(), key=lambda kv: (kv[0] != "is a", kv[0])):
        shown = ", ".join(
            entity_md(v["id"], v["value"])
            if v["id"] and not v["id"].startswith(("owl:", "http"))
            else md_text(v["value"])
            for v in values[:12]
        )
        lines.append(f"- *{md_text(name)}:* {shown}" + (f" and {len(values) - 12} more" if len(values) > 12 else ""))
    st.markdown("\n".join(lines))
    if details.links:
        st.markdown("**Links:** " + " · ".join(md_link(t, u) for t, u in _once(details.links)))
    if details.sources:
        st.markdown(f"**Sources ({len(details.sources)})**")
        st.markdown("\n".join("1. " + c.markdown() for c in details.sources))


def _once(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each outside page once, named by its identifier where one names it (a mapping's bare URL
    and the cross-reference that expands to it are one link, "MESH:D013313")."""
    named: dict[str, str] = {}
    for text, url in links:
        if url not in named or named[url].startswith("http"):
            named[url] = text
    return [(text, url) for url, text in named.items()]
