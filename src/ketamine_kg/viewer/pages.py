"""The explorer's pages. Each ``app/views/*.py`` script calls one of these functions.

Every view keeps its state in the URL's query parameters (entity, question and its parameters,
SPARQL text), so a copied link reopens the same view.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..errors import KetamineKGError
from ..results import QueryResult, compact, render
from . import data
from .answers import plain_error, show_table
from .chrome import header
from .graphview import draw, positions_for
from .text import entity_md, md_text

__all__ = ["ask", "downloads", "evidence", "header", "ontology", "paths", "sparql"]

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


def _show_error(exc: Exception, text: str | None = None) -> None:
    # Errors are the user's to read: plain words, where and what, no traceback.
    message = " ".join(str(exc).split())
    marker = None
    if text is not None and "malformed SPARQL" in message:
        message, marker = plain_error(str(exc), text)
    st.error(message)
    if marker:
        st.code(marker, language=None)


# -- Ask ---------------------------------------------------------------------------------------------
#: The gallery's topics, in order; a question not listed goes under "More".
TOPICS: dict[str, list[str]] = {
    "Uses and evidence": ["evidence-by-condition", "approved-uses", "off-label-and-investigational-uses", "claims-for-drug",
                          "mixed-or-negative-evidence", "landmark-trials", "substance-use-disorder-evidence",
                          "sources-for-condition", "alternatives-for-condition", "response-predictors"],
    "Regulation": ["regulatory-timeline", "controlled-substance-schedules", "boxed-warnings"],
    "Safety": ["risks-of-drug", "contraindications", "chronic-and-recreational-harms", "monitoring-requirements"],
    "Pharmacology": ["mechanism-of-action", "routes-and-doses"],
    "The graph itself": ["condition-hierarchy", "entity-neighbourhood", "treats-edges", "cross-references",
                         "graph-statistics", "unverified-sources"],
}


def _topics(names: list[str]) -> dict[str, list[str]]:
    grouped = {t: [n for n in qs if n in names] for t, qs in TOPICS.items()}
    listed = {n for qs in grouped.values() for n in qs}
    if rest := [n for n in names if n not in listed]:
        grouped["More"] = rest
    return {t: qs for t, qs in grouped.items() if qs}


def ask() -> None:
    path = header("Ask")
    catalogue = data.get_catalogue()
    params = st.query_params
    names = list(catalogue)
    current = params.get("question")
    if current not in catalogue:
        _gallery(catalogue, names)
        return
    name = st.selectbox("Question", names, index=names.index(current), format_func=lambda n: catalogue[n].title, key="question")
    st.button("← All questions", key="gallery", on_click=_open_question, args=(None,))
    if name != current:
        # A new question starts clean: no parameter of the one before stays in the URL.
        params.clear()
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
            value = st.selectbox(p.description, ids, index=ids.index(default), format_func=lambda c, labels=labels: labels.get(c, c),
                                 key=f"param-{name}-{p.name}")
        else:
            value = st.text_input(p.description, value=url_value, key=f"param-{name}-{p.name}")
        given[p.name] = value
        params[f"p.{p.name}"] = value
    try:
        result = data.get_worker(path).run(q.text, q.bindings(given), data.USER_LIMITS)
    except KetamineKGError as exc:
        _show_error(exc)
        return
    _show_result(result, path, view=q.view, key=name)
    if st.button("Open this query in the SPARQL editor", key="to-editor"):
        # The editor's URL carries the query, so this view too reopens from its link.
        st.switch_page("views/sparql.py", query_params={"sparql": q.text})


def _open_question(name: str | None) -> None:
    # A callback: the page runs once, already on the new question (or the gallery), its URL clean.
    st.query_params.clear()
    st.session_state.pop("question", None)
    if name:
        st.query_params["question"] = name


def _gallery(catalogue, names: list[str]) -> None:
    st.markdown("Questions the graph answers, by topic. Pick one; its answer, its parameters and its SPARQL follow.")
    for topic, questions in _topics(names).items():
        st.subheader(topic)
        columns = st.columns(3)
        for i, n in enumerate(questions):
            with columns[i % 3].container(border=True):
                st.markdown(f"**{md_text(catalogue[n].title)}**  \n{md_text(catalogue[n].question)}")
                st.button("Ask", key=f"open-{n}", on_click=_open_question, args=(n,))


def _show_result(result: QueryResult, path: str, *, view: str = "table", key: str = "result") -> None:
    if result.kind == "ask":
        st.metric("Answer", "yes" if result.boolean else "no")
        return
    if result.truncated:
        st.warning(f"Results cut at {result.max_rows:,} rows. Narrow the query to see the rest.")
    if result.kind == "graph":
        _triples_graph(result)
        with st.expander(f"{len(result.triples)} triples as a table"):
            st.dataframe(_frame(result), hide_index=True, width="stretch")
        return
    if view == "tree":
        _tree(result)
    frame = show_table(result, data.all_labels(path), key=key)
    if frame.empty:
        return
    raw = _frame(result)
    if view == "chart" and {"conditionLabel", "drugLabel", "bestEvidenceRank"} <= set(raw.columns):
        _evidence_chart(raw)
    elif view == "timeline" and {"date", "agencyLabel", "drugLabel"} <= set(raw.columns):
        _timeline_chart(raw)
    elif view == "graph":
        _rows_graph(result)


def _frame(result: QueryResult) -> pd.DataFrame:
    return pd.DataFrame([[compact(t) for t in row] for row in result.rows], columns=result.variables)


def _tree(result: QueryResult) -> None:
    """A ``condition``/``parent`` answer as an indented tree, each label a link to its page."""
    records = result.records()
    labels = {r["condition"]: r.get("conditionLabel", r.get("label", r["condition"])) for r in records if "condition" in r}
    children: dict[str, list[str]] = {}
    has_parent = set()
    for r in records:
        if "condition" in r and "parent" in r and r["parent"] in labels:
            children.setdefault(r["parent"], []).append(r["condition"])
            has_parent.add(r["condition"])
    lines: list[str] = []

    def walk(node: str, depth: int, seen: frozenset[str]) -> None:
        lines.append("    " * depth + "- " + entity_md(node, labels.get(node, node)))
        for child in sorted(set(children.get(node, [])), key=lambda c: labels.get(c, c).casefold()):
            if child not in seen:
                walk(child, depth + 1, seen | {child})

    for root in sorted((c for c in labels if c not in has_parent), key=lambda c: labels[c].casefold()):
        walk(root, 0, frozenset({root}))
    if lines:
        st.markdown("\n".join(lines))


def _rows_graph(result: QueryResult) -> None:
    """A drawing of a table answer: an edge between the first two IRI columns of each row,
    named by its ``relation`` column if it has one; ``xLabel`` columns name the nodes."""
    import networkx as nx

    records = result.records()
    columns = tuple(
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
                       kind="condition" if node == "condition" else "drug form" if node == "drug" else "other")
        g.add_edge(row[a], row[b], relation=row.get("relation", ""))
    if g.number_of_nodes():
        draw(g, positions_for(g), key=f"answer-graph-{a}-{b}", height=460)


def _timeline_chart(frame: pd.DataFrame) -> None:
    import plotly.express as px

    plot = frame.assign(when=pd.to_datetime(frame["date"], errors="coerce")).dropna(subset=["when"])
    figure = px.scatter(plot, x="when", y="agencyLabel", color="drugLabel", hover_data=[c for c in ("indication",) if c in plot],
                        labels={"when": "approval date", "agencyLabel": "agency", "drugLabel": "drug form"})
    figure.update_traces(marker={"size": 14})
    figure.update_xaxes(tickformat="%Y")
    figure.update_layout(height=200 + 40 * plot["agencyLabel"].nunique(), legend={"orientation": "h", "y": -0.3})
    st.plotly_chart(figure, width="stretch", config={"displaylogo": False})


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
        g = g.subgraph(list(g)[:150]).copy()
        draw(g, positions_for(g), key="answer-triples", height=520)


def _evidence_chart(frame: pd.DataFrame) -> None:
    """Drug forms across, conditions down: one dot per pair, so no pair hides another. Colour is
    the best evidence level, the symbol the most advanced regulatory status, the size the claims."""
    import plotly.express as px

    plot = frame.assign(
        evidence=frame["bestEvidenceRank"].astype(int).map(_EVIDENCE_LEVELS),
        rank=frame["bestEvidenceRank"].astype(int),
        claims=frame["claims"].astype(int),
    )
    figure = px.scatter(
        plot, x="drugLabel", y="conditionLabel", color="rank", size="claims", symbol="anyStatus",
        hover_data=["evidence", "anyStatus", "claims"], range_color=(0, 5), color_continuous_scale="Blues",
        labels={"rank": "best evidence (5 = meta-analysis)", "conditionLabel": "condition", "drugLabel": "drug form",
                "anyStatus": "regulatory status"},
    )
    figure.update_layout(height=160 + 30 * plot["conditionLabel"].nunique(), legend={"orientation": "h", "y": -0.15})
    st.caption("Colour: best evidence level (darker = stronger). Symbol: regulatory status. Size: number of claims.")
    st.plotly_chart(figure, width="stretch", config={"displaylogo": False})


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
        _show_error(exc, text)
        return
    _show_result(result, path, key="sparql")
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
    st.markdown("The same at a glance, with every claim a click away: the **Evidence map** (the first page).")
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
         ["claim", "drugLabel", "claimConditionLabel", "direction", "source", "title", "year", "pmid"]),
        ("Alternatives, with their own status", "alternatives-for-condition", "No alternatives recorded for this condition.",
         ["treatment", "treatmentLabel", "kind", "status", "evidence"]),
    )
    for column, (title, name, empty, shown) in zip(st.columns(2), columns):
        with column:
            st.markdown(f"**{title}**")
            q = catalogue[name]
            result = worker.run(q.text, q.bindings({"condition": condition}), data.USER_LIMITS)
            if not result.rows:
                st.write(empty)
            else:
                show_table(_only(result, shown), data.all_labels(path), key=name)


def _only(result: QueryResult, variables: list[str]) -> QueryResult:
    """``result`` with only ``variables`` (those it has), in that order."""
    import dataclasses

    keep = [v for v in variables if v in result.variables]
    index = [result.variables.index(v) for v in keep]
    return dataclasses.replace(result, variables=keep, rows=[tuple(row[i] for i in index) for row in result.rows])


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


_INDIVIDUALS = """
SELECT ?item ?label ?class ?classLabel WHERE {
  ?item a owl:NamedIndividual ; a ?class ; rdfs:label ?label .
  ?class a owl:Class ; rdfs:label ?classLabel .
  FILTER(STRSTARTS(STR(?class), "https://w3id.org/ketamine-kg/"))
} ORDER BY ?classLabel ?label
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
    members: dict[str, list[tuple[str, str]]] = {}
    for row in worker.run(_INDIVIDUALS, None, data.USER_LIMITS).records():
        members.setdefault(row["class"], []).append((row["item"], row["label"]))
    left, right = st.columns(2)
    with left:
        st.subheader(f"Classes ({len(labels)})")
        st.caption("Each class with the number of its own members; a name opens its page.")
        lines: list[str] = []

        def walk(node: str, depth: int, seen: frozenset[str]) -> None:
            count = len(members.get(node, []))
            lines.append("    " * depth + f"- {entity_md(node, labels.get(node, node))}" + (f" ({count})" if count else ""))
            for child in sorted(children.get(node, []), key=lambda c: labels.get(c, c).casefold()):
                if child not in seen:
                    walk(child, depth + 1, seen | {child})

        for root in roots:
            walk(root, 0, frozenset({root}))
        st.markdown("\n".join(lines))
    with right:
        st.subheader(f"Individuals ({sum(len(v) for v in members.values())})")
        st.caption("The things the graph describes, under their classes.")
        for cls in sorted(members, key=lambda c: labels.get(c, c).casefold()):
            items = members[cls]
            with st.expander(f"{labels.get(cls, cls)} ({len(items)})"):
                st.markdown("\n".join("- " + entity_md(i, label) for i, label in items))
    st.subheader("Properties")
    show_table(worker.run(_PROPERTIES, None, data.USER_LIMITS), data.all_labels(path), key="properties")


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
        st.markdown(" → ".join(entity_md(n, projection.labels.get(n, n)) for n in p))
    if weighted:
        st.markdown("**Evidence-weighted path:** " + " → ".join(entity_md(n, projection.labels.get(n, n)) for n in weighted))
    keep = {n for p in found for n in p} | set(weighted)
    draw(projection.graph.subgraph(keep).copy(), data.get_positions(path), key="paths-graph", selected=source, height=460)


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
    for name in ("ketamine.owl", "ketamine.ttl", "shapes.ttl"):
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

