"""The explorer's pages. Each ``app/pages/*.py`` script calls one of these functions.

Every view keeps its state in the URL's query parameters (entity, question and its parameters,
SPARQL text), so a copied link reopens the same view.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..errors import KetamineKGError, one_line
from ..results import QueryResult, compact, render
from . import data
from .graphview import draw, legend_markdown

__all__ = ["ask", "downloads", "evidence", "explore", "header", "ontology", "paths", "sparql"]

_EXAMPLE_SPARQL = """PREFIX kk: <https://w3id.org/ketamine-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
# Every claim with its drug form, condition and evidence level
SELECT ?claim ?drug ?condition ?evidence WHERE {
  ?claim a kk:TherapeuticUseClaim ;
         kk:drug/rdfs:label ?drug ;
         kk:condition/rdfs:label ?condition ;
         kk:evidenceLevel/rdfs:label ?evidence .
}
ORDER BY ?condition ?drug
"""
_EVIDENCE_LEVELS = {0: "preclinical", 1: "case reports or expert opinion", 2: "non-randomized studies",
                    3: "single randomized trial", 4: "multiple randomized trials", 5: "meta-analysis of randomized trials"}


def header(title: str) -> str:
    """Page chrome shared by every page; returns the graph file path the page should use."""
    st.set_page_config(page_title=f"{title} · ketamine-kg", page_icon=":material/hub:", layout="wide")
    st.title(title)
    st.info(data.DISCLAIMER, icon=":material/medical_information:")
    return str(data.graph_path())


def _frame(result: QueryResult) -> pd.DataFrame:
    return pd.DataFrame([[compact(t) for t in row] for row in result.rows], columns=result.variables)


def _show_error(exc: Exception) -> None:
    # Errors are the user's to read: plain words, no traceback.
    st.error(one_line(str(exc)), icon=":material/error:")


def _details_panel(path: str, curie: str) -> None:
    details = data.entity_details(path, curie)
    if details is None:
        st.warning(f"Nothing in the graph is called {curie}.")
        return
    st.subheader(details.label)
    st.caption(f"`{details.curie}` · {details.iri}")
    if details.links:
        st.markdown("**Links:** " + " · ".join(_md_link(text, url) for text, url in details.links))
    st.dataframe(pd.DataFrame(details.properties), hide_index=True, width="stretch")
    if details.sources:
        st.markdown(f"**Sources ({len(details.sources)})**")
        for src in details.sources:
            flag = "" if src.verified else " · :orange[some details unverified]"
            links = " · ".join(_md_link(text, url) for text, url in src.links)
            st.markdown(f"- {_md_text(src.title)} ({_md_text(src.year or 'n.d.')}){flag}  \n  {links}")
    if details.incoming:
        with st.expander(f"Statements that point here ({len(details.incoming)})"):
            st.dataframe(pd.DataFrame(details.incoming), hide_index=True, width="stretch")


def _md_link(text: str, url: str) -> str:
    # Only web addresses become links (never javascript: or data:); characters that would end the
    # markdown link early are percent-encoded.
    from urllib.parse import quote

    if not url.lower().startswith(("http://", "https://")):
        return _md_text(text)
    return f"[{_md_text(text)}]({quote(url, safe=':/?#[]@!$&*+,;=%~.-_')})"


def _md_text(text: str) -> str:
    # Link text from the data is shown literally, never as markdown or HTML.
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!<>|~" else c for c in text)


# -- Explore ---------------------------------------------------------------------------------------
def explore() -> None:
    path = header("Explore")
    projection = data.get_projection(path)
    params = st.query_params
    kinds_all, relations_all, conditions = data.explore_choices(path)

    with st.sidebar:
        st.header("Filters")
        query = st.text_input("Search by label or synonym", value=params.get("q", ""), key="search")
        url_kinds = [k for k in params.get("kinds", "").split(",") if k in kinds_all]
        default_kinds = url_kinds or [k for k in kinds_all if k != "source"]
        kinds = st.multiselect("Node types", kinds_all, default=default_kinds, key="kinds")
        url_relations = [r for r in params.get("relations", "").split(",") if r in relations_all]
        relations = st.multiselect("Relations", relations_all, default=url_relations or relations_all, key="relations")
        condition_options = ["(all)"] + conditions
        chosen = params.get("condition", "(all)")
        condition = st.selectbox(
            "Condition", condition_options, index=condition_options.index(chosen) if chosen in condition_options else 0,
            format_func=lambda c: c if c == "(all)" else projection.labels.get(c, c), key="condition",
        )
        min_rank = st.select_slider("Minimum evidence level", options=list(_EVIDENCE_LEVELS), value=_int_param("min", 0, 0, 5),
                                    format_func=_EVIDENCE_LEVELS.get, key="min_rank")
        max_nodes = st.slider("Most nodes drawn", 1, 400, _int_param("max", 80, 1, 400), key="max_nodes")
    # The filters live in the URL too, so a copied link reopens this view.
    params["kinds"] = ",".join(kinds)
    params["relations"] = ",".join(relations) if set(relations) != set(relations_all) else ""
    params["condition"], params["min"], params["max"], params["q"] = condition, str(min_rank), str(max_nodes), query

    selected = params.get("entity")
    focus: set[str] = set(st.session_state.get("expanded", []))
    if query:
        hits = projection.search(query)
        if not hits:
            st.warning(f"No label or synonym contains “{query}”.")
        else:
            pick = st.selectbox("Matches", hits, format_func=lambda n: f"{projection.labels.get(n, n)} ({projection.kind(n)})", key="match")
            if pick and pick != selected:
                selected = pick
                params["entity"] = pick
    if selected and selected in projection.graph:
        focus.add(selected)

    view, matched = data.drawn_subgraph(
        path, tuple(sorted(kinds)), tuple(sorted(relations)), min_rank,
        None if condition == "(all)" else condition, tuple(sorted(focus)), max_nodes,
    )
    left, right = st.columns([3, 2])
    with left:
        st.markdown(legend_markdown())
        if view.number_of_nodes() == 0:
            st.warning("Nothing matches these filters. Widen the node types, relations or evidence level.")
            clicked = None
        else:
            clicked = draw(view, selected=selected)
        drawn = view.number_of_nodes()
        if matched > drawn:
            st.caption(f"Showing the {drawn} most connected of {matched} matching nodes. "
                       "Narrow the filters, pick a condition, or raise “Most nodes drawn”.")
        else:
            st.caption(f"{drawn} nodes, {view.number_of_edges()} edges.")
    if clicked and clicked != selected:
        selected = clicked
        params["entity"] = clicked
    with right:
        if selected:
            _details_panel(path, selected)
            if st.button("Expand its neighbourhood", key="expand"):
                st.session_state["expanded"] = sorted(set(st.session_state.get("expanded", [])) | {selected} | set(projection.graph.successors(selected)) | set(projection.graph.predecessors(selected)))
                st.rerun()
            if st.session_state.get("expanded") and st.button("Collapse", key="collapse"):
                st.session_state["expanded"] = []
                st.rerun()
        else:
            st.markdown("Click a node, or search for one, to see everything the graph says about it.")


def _int_param(name: str, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(st.query_params.get(name, default))))
    except ValueError:
        return default


# -- Ask ---------------------------------------------------------------------------------------------
def ask() -> None:
    path = header("Ask")
    catalogue = data.get_catalogue()
    params = st.query_params
    names = list(catalogue)
    current = params.get("question", names[0])
    name = st.selectbox(
        "Question", names, index=names.index(current) if current in names else 0,
        format_func=lambda n: catalogue[n].title, key="question",
    )
    params["question"] = name
    q = catalogue[name]
    st.markdown(f"**{q.question}**")
    given: dict[str, str] = {}
    for p in q.parameters:
        url_value = params.get(f"p.{p.name}", p.default)
        if p.choices_class:
            choices = data.member_choices(path, p.choices_class)
            ids = [c for c, _ in choices]
            labels = dict(choices)
            default = url_value if url_value in ids else (p.default if p.default in ids else ids[0])
            value = st.selectbox(p.description, ids, index=ids.index(default), format_func=lambda c, labels=labels: labels.get(c, c), key=f"param-{name}-{p.name}")
        else:
            value = st.text_input(p.description, value=url_value, key=f"param-{name}-{p.name}")
        given[p.name] = value
        params[f"p.{p.name}"] = value
    try:
        result = data.get_worker(path).run(q.text, q.bindings(given), data.USER_LIMITS)
    except KetamineKGError as exc:
        _show_error(exc)
        return
    _show_result(result, view=q.view, key=name)
    if st.button("Open this query in the SPARQL editor", key="to-editor"):
        st.session_state["sparql_text"] = q.text
        st.query_params.clear()
        st.query_params["sparql"] = q.text
        st.switch_page("pages/sparql.py")


def _show_result(result: QueryResult, *, view: str = "table", key: str = "result") -> None:
    if result.kind == "ask":
        st.metric("Answer", "yes" if result.boolean else "no")
        return
    if result.truncated:
        st.warning(f"Results cut at {result.max_rows:,} rows. Narrow the query to see the rest.")
    frame = _frame(result)
    if result.kind == "graph":
        _triples_graph(result)
        with st.expander(f"{len(frame)} triples as a table"):
            st.dataframe(frame, hide_index=True, width="stretch")
        return
    st.caption(f"{len(frame)} row(s)")
    st.dataframe(frame, hide_index=True, width="stretch")
    if frame.empty:
        return
    if view == "chart" and {"conditionLabel", "drugLabel", "bestEvidenceRank"} <= set(frame.columns):
        _evidence_chart(frame)
    elif view == "timeline" and {"date", "agencyLabel", "drugLabel"} <= set(frame.columns):
        _timeline_chart(frame)
    elif view in ("graph", "tree"):
        _rows_graph(result, tree=view == "tree")


def _rows_graph(result: QueryResult, *, tree: bool) -> None:
    """Draw a SELECT answer as a graph: an edge between the first two IRI columns of each row,
    named by its ``relation`` column if it has one; ``xLabel`` columns name the nodes.
    A tree (``condition``/``parent``) is drawn child -> parent."""
    import networkx as nx

    records = result.records()
    columns = ("condition", "parent") if tree else tuple(
        v for v in result.variables
        if v != "relation" and any(row[result.variables.index(v)] is not None and row[result.variables.index(v)].kind == "iri"
                                   for row in result.rows)
    )[:2]
    if len(columns) < 2:
        return
    a, b = columns
    g = nx.MultiDiGraph()
    for row in records:
        if a not in row or b not in row:
            continue
        for node in (a, b):
            g.add_node(row[node], label=row.get(f"{node}Label", row.get("label", row[node]) if node == a else row[node]),
                       kind="condition" if tree or node == "condition" else "drug form" if node == "drug" else "other")
        g.add_edge(row[a], row[b], relation=row.get("relation", "narrower than" if tree else ""))
    if g.number_of_nodes():
        draw(g, height=460)


def _timeline_chart(frame: pd.DataFrame) -> None:
    import plotly.express as px

    plot = frame.assign(when=pd.to_datetime(frame["date"], errors="coerce")).dropna(subset=["when"])
    figure = px.scatter(plot, x="when", y="agencyLabel", color="drugLabel", hover_data=[c for c in ("indication",) if c in plot],
                        labels={"when": "approval date", "agencyLabel": "agency", "drugLabel": "drug form"})
    figure.update_traces(marker={"size": 14})
    figure.update_layout(height=160 + 40 * plot["agencyLabel"].nunique())
    st.plotly_chart(figure, width="stretch")


def _triples_graph(result: QueryResult) -> None:
    import networkx as nx

    g = nx.MultiDiGraph()
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
        draw(g.subgraph(list(g)[:150]).copy())


def _evidence_chart(frame: pd.DataFrame) -> None:
    import plotly.express as px

    plot = frame.assign(
        evidence=frame["bestEvidenceRank"].astype(int).map(_EVIDENCE_LEVELS),
        rank=frame["bestEvidenceRank"].astype(int),
        claims=frame["claims"].astype(int),
    )
    figure = px.scatter(
        plot, x="rank", y="conditionLabel", color="drugLabel", size="claims", hover_data=["evidence", "anyStatus"],
        labels={"rank": "best evidence level (5 = meta-analysis)", "conditionLabel": "condition", "drugLabel": "drug form"},
    )
    figure.update_layout(height=120 + 28 * plot["conditionLabel"].nunique())
    st.plotly_chart(figure, width="stretch")


# -- SPARQL ------------------------------------------------------------------------------------------
def sparql() -> None:
    path = header("SPARQL")
    st.caption("Read-only: updates, LOAD and SERVICE are refused; queries stop after 30 s and return at most 10,000 rows. "
               "Prefixes kk:, kkr:, rdfs:, skos:, schema:, biolink: and others are predeclared.")
    initial = st.session_state.pop("sparql_text", None) or st.query_params.get("sparql", _EXAMPLE_SPARQL)
    text = st.text_area("Query", value=initial, height=260, key="sparql-editor")
    run = st.button("Run", type="primary", key="run")
    if not (run or "sparql" in st.query_params):
        return
    st.query_params["sparql"] = text
    try:
        result = data.get_worker(path).run(text, None, data.USER_LIMITS)
    except KetamineKGError as exc:
        _show_error(exc)
        return
    _show_result(result, key="sparql")
    _downloads_for(result)


def _downloads_for(result: QueryResult) -> None:
    if result.kind == "ask":
        return
    cols = st.columns(3)
    cols[0].download_button("CSV", render(result, "csv"), "result.csv", "text/csv", key="dl-csv")
    cols[1].download_button("JSON", render(result, "json"), "result.json", "application/sparql-results+json", key="dl-json")
    if result.kind == "graph":
        from rdflib import Graph

        graph = Graph().parse(data=render(result, "ntriples") or "", format="nt")
        cols[2].download_button("Turtle", graph.serialize(format="turtle"), "result.ttl", "text/turtle", key="dl-ttl")


# -- Evidence ----------------------------------------------------------------------------------------
def evidence() -> None:
    path = header("Evidence")
    catalogue = data.get_catalogue()
    worker = data.get_worker(path)
    overview = worker.run(catalogue["evidence-by-condition"].text, None, data.USER_LIMITS)
    st.subheader("Conditions by best evidence level and regulatory status")
    _evidence_chart(_frame(overview))
    st.subheader("One condition: ketamine's claims beside the alternatives")
    choices = data.member_choices(path, "kk:MedicalCondition")
    ids = [c for c, _ in choices]
    labels = dict(choices)
    current = st.query_params.get("condition", "kkr:treatment-resistant-depression")
    condition = st.selectbox("Condition", ids, index=ids.index(current) if current in ids else 0,
                             format_func=lambda c: labels.get(c, c), key="evidence-condition")
    st.query_params["condition"] = condition
    columns = (
        ("Ketamine forms: claims and sources", "sources-for-condition", "No claims about this condition.",
         ["drugLabel", "claimConditionLabel", "direction", "title", "year", "pmid"]),
        ("Alternatives, with their own status", "alternatives-for-condition", "No alternatives recorded for this condition.",
         ["treatmentLabel", "kind", "status", "evidence"]),
    )
    for column, (title, name, empty, shown) in zip(st.columns(2), columns):
        with column:
            st.markdown(f"**{title}**")
            q = catalogue[name]
            frame = _frame(worker.run(q.text, q.bindings({"condition": condition}), data.USER_LIMITS))
            if frame.empty:
                st.write(empty)
            else:
                st.dataframe(frame[shown], hide_index=True, width="stretch")


# -- Ontology ----------------------------------------------------------------------------------------
_CLASSES = """
SELECT ?class ?label ?parent ?definition WHERE {
  ?class a owl:Class ; rdfs:label ?label .
  FILTER(STRSTARTS(STR(?class), "https://w3id.org/ketamine-kg/"))
  OPTIONAL { ?class rdfs:subClassOf ?parent . FILTER(isIRI(?parent)) }
  OPTIONAL { ?class skos:definition ?definition }
} ORDER BY ?label
"""
_PROPERTIES = """
SELECT ?property ?label ?kind ?domain ?range ?definition WHERE {
  VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty }
  ?property a ?kind ; rdfs:label ?label .
  FILTER(STRSTARTS(STR(?property), "https://w3id.org/ketamine-kg/ontology#"))
  OPTIONAL { ?property rdfs:domain ?domain }
  OPTIONAL { ?property rdfs:range ?range }
  OPTIONAL { ?property skos:definition ?definition }
} ORDER BY ?kind ?label
"""


def ontology() -> None:
    path = header("Ontology")
    worker = data.get_worker(path)
    classes = worker.run(_CLASSES, None, data.USER_LIMITS).records()
    children: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    parents: dict[str, set[str]] = {}
    for row in classes:
        labels[row["class"]] = row["label"]
        if "parent" in row:
            parents.setdefault(row["class"], set()).add(row["parent"])
    for cls, ps in parents.items():
        for p in ps:
            children.setdefault(p, []).append(cls)
    roots = sorted((c for c in labels if not (parents.get(c, set()) & set(labels))), key=lambda c: labels[c].casefold())
    st.subheader("Class hierarchy")
    lines: list[str] = []

    def walk(node: str, depth: int, seen: frozenset[str]) -> None:
        lines.append("    " * depth + f"- {labels.get(node, node)}  `{node}`")
        for child in sorted(children.get(node, []), key=lambda c: labels.get(c, c).casefold()):
            if child not in seen:
                walk(child, depth + 1, seen | {child})

    for root in roots:
        walk(root, 0, frozenset({root}))
    st.markdown("\n".join(lines))
    st.subheader("Properties")
    props = worker.run(_PROPERTIES, None, data.USER_LIMITS)
    st.dataframe(_frame(props), hide_index=True, width="stretch")


# -- Paths -------------------------------------------------------------------------------------------
def paths() -> None:
    from ..analysis import evidence_path, shortest_paths

    path = header("Paths")
    projection = data.get_projection(path)
    st.markdown("How is one thing connected to another? Shortest paths ignore edge direction; the "
                "evidence-weighted path prefers edges backed by stronger evidence.")
    nodes = sorted(projection.graph, key=lambda n: (projection.kind(n) == "source", projection.labels.get(n, n).casefold()))

    def fmt(n: str) -> str:
        return f"{projection.labels.get(n, n)} ({projection.kind(n)})"

    a_default = st.query_params.get("from", "kkr:ketamine")
    b_default = st.query_params.get("to", "kkr:post-traumatic-stress-disorder")
    col_a, col_b = st.columns(2)
    source = col_a.selectbox("From", nodes, index=nodes.index(a_default) if a_default in nodes else 0, format_func=fmt, key="from")
    target = col_b.selectbox("To", nodes, index=nodes.index(b_default) if b_default in nodes else 1, format_func=fmt, key="to")
    st.query_params["from"], st.query_params["to"] = source, target
    found = shortest_paths(projection, source, target)
    weighted = evidence_path(projection, source, target)
    if not found:
        st.warning("These two are not connected.")
        return
    st.markdown("**Shortest paths**")
    for p in found:
        st.markdown(" → ".join(f"{_md_text(projection.labels.get(n, n))}" for n in p))
    if weighted:
        st.markdown("**Evidence-weighted path:** " + " → ".join(_md_text(projection.labels.get(n, n)) for n in weighted))
    keep = {n for p in found for n in p} | set(weighted)
    draw(projection.graph.subgraph(keep).copy(), selected=source, height=460)


# -- Downloads ---------------------------------------------------------------------------------------
def downloads() -> None:
    header("Downloads")
    from ..layout import GRAPH_FILES

    layout = data.get_layout()
    st.markdown("The whole graph (ontology, curated facts and inferences) in every format the build produces. "
                "The same files are in the repository under `graph/` and `ontology/`.")
    mime = {"nt": "application/n-triples", "turtle": "text/turtle", "xml": "application/rdf+xml", "json-ld": "application/ld+json"}
    for fmt, name in GRAPH_FILES.items():
        file = layout.graph_dir / name
        if file.is_file():
            st.download_button(f"{name} ({fmt}, {file.stat().st_size / 1024:,.0f} KiB)", file.read_bytes(), name, mime[fmt], key=f"dl-{fmt}")
    for name in ("ketamine.owl", "ketamine.ttl", "shapes-generated.ttl", "shapes.ttl"):
        file = layout.ontology_dir / name
        if file.is_file():
            st.download_button(f"ontology/{name}", file.read_bytes(), name, key=f"dl-{name}")
    st.subheader("For other tools")
    st.markdown("Named graphs that keep provenance apart (ontology, curated, inferred), and property graphs in "
                "which each claim keeps its evidence level, status, direction and sources "
                "(the same files as `ketamine-kg export`).")
    from ..export import FORMATS

    if st.button("Prepare TriG, N-Quads, GraphML, GEXF, Neo4j and KGX files", key="prepare-exports") or st.session_state.get("exports-ready"):
        st.session_state["exports-ready"] = True
        try:
            exports = data.tool_exports(str(layout.root))
        except KetamineKGError as exc:
            _show_error(exc)
            return
        for fmt, (name, content, mime) in exports.items():
            st.download_button(f"{name} — {FORMATS[fmt]}", content, name, mime, key=f"dl-export-{fmt}")

