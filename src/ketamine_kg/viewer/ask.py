"""The Ask page (the named questions as a gallery by topic) and the SPARQL editor."""

from __future__ import annotations

import streamlit as st

from ketamine_kg.errors import KetamineKGError
from ketamine_kg.query.results import QueryResult, render

from . import data
from .chrome import header
from .results_view import show_error, show_result
from .text import md_text

__all__ = ["TOPICS", "ask", "sparql"]

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

# -- Ask ---------------------------------------------------------------------------------------------
#: The gallery's topics, in order; a question not listed goes under "More".
TOPICS: dict[str, list[str]] = {
    "Uses and evidence": [
        "evidence-by-condition",
        "summary-of-findings",
        "approved-uses",
        "off-label-and-investigational-uses",
        "claims-for-drug",
        "mixed-or-negative-evidence",
        "landmark-trials",
        "substance-use-disorder-evidence",
        "sources-for-condition",
        "alternatives-for-condition",
        "response-predictors",
    ],
    "Regulation": ["regulatory-timeline", "controlled-substance-schedules", "boxed-warnings"],
    "Safety": ["risks-of-drug", "contraindications", "chronic-and-recreational-harms", "monitoring-requirements"],
    "Pharmacology": ["mechanism-of-action", "routes-and-doses"],
    "The graph itself": [
        "condition-hierarchy",
        "entity-neighbourhood",
        "treats-edges",
        "cross-references",
        "graph-statistics",
        "unverified-sources",
    ],
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
    name = st.selectbox(
        "Question", names, index=names.index(current), format_func=lambda n: catalogue[n].title, key="question"
    )
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

            def label_of(c: str, labels: dict[str, str] = labels) -> str:
                return labels.get(c, c)

            default = url_value if url_value in ids else (p.default if p.default in ids else ids[0])
            value = st.selectbox(
                p.description,
                ids,
                index=ids.index(default),
                format_func=label_of,
                key=f"param-{name}-{p.name}",
            )
        else:
            value = st.text_input(p.description, value=url_value, key=f"param-{name}-{p.name}")
        given[p.name] = value
        params[f"p.{p.name}"] = value
    try:
        result = data.get_worker(path).run(q.text, q.bindings(given), data.USER_LIMITS)
    except KetamineKGError as exc:
        show_error(exc)
        return
    show_result(result, path, view=q.view, key=name)
    if st.button("Open this query in the SPARQL editor", key="to-editor"):
        # The editor's URL carries the query, so this view too reopens from its link.
        st.session_state["sparql_text"] = q.text
        st.session_state["sparql-version"] = st.session_state.get("sparql-version", 0) + 1
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


# -- SPARQL ------------------------------------------------------------------------------------------
def _load_example() -> None:
    # A callback: the picked question's text goes into the editor (a new version replaces its text).
    name = st.session_state.get("sparql-example")
    if name:
        st.session_state["sparql_text"] = data.get_catalogue()[name].text
        st.session_state["sparql-version"] = st.session_state.get("sparql-version", 0) + 1


def _editor_text(initial: str) -> tuple[str, bool]:
    """The query as the editor (or the plain text box) holds it, and whether Run was asked for."""
    from .widget import component

    value = component(
        mode="editor",
        text=initial,
        version=st.session_state.get("sparql-version", 0),
        error=st.session_state.get("sparql-error"),
        height=300,
        key="sparql-cm",
        default=None,
    )
    text, run = initial, False
    if isinstance(value, dict) and value.get("n") != st.session_state.get("sparql-cm-seen"):
        st.session_state["sparql-cm-seen"] = value.get("n")
        text, run = str(value.get("text", initial)), bool(value.get("run"))
        st.session_state["sparql-current"] = text
    with st.expander("Plain text editor (for screen readers, or where the editor does not load)"):
        plain = st.text_area("Query", value=text, height=200, key="sparql-editor")
        if st.button("Run", type="primary", key="run"):
            text, run = plain, True
    return text, run


def sparql() -> None:
    path = header("SPARQL")
    st.caption(
        "Read-only: updates, LOAD and SERVICE are refused; queries stop after 30 s and return at most 10,000 rows. "
        "Prefixes kk:, kkr:, rdfs:, skos:, schema:, biolink: and others are predeclared."
    )
    catalogue = data.get_catalogue()
    st.selectbox(
        "Examples: the named questions",
        list(catalogue),
        index=None,
        format_func=lambda n: catalogue[n].title,
        placeholder="Pick a question to load its SPARQL into the editor",
        key="sparql-example",
        on_change=_load_example,
    )
    initial = (
        st.session_state.pop("sparql_text", None)
        or st.session_state.get("sparql-current")
        or st.query_params.get("sparql", _EXAMPLE_SPARQL)
    )
    st.session_state["sparql-current"] = initial
    text, run = _editor_text(initial)
    if not (run or "sparql" in st.query_params):
        return
    st.query_params["sparql"] = text
    st.session_state["sparql-current"] = text
    try:
        result = data.get_worker(path).run(text, None, data.USER_LIMITS)
    except KetamineKGError as exc:
        _mark_error(str(exc), text)
        show_error(exc, text)
        return
    _mark_error("", text)
    show_result(result, path, key="sparql")
    _downloads_for(result)


def _mark_error(message: str, text: str) -> None:
    """Keep where the editor should mark the error (or nothing); redraw it once if that changed."""
    from .answers import error_place

    place = error_place(message, text) if message else None
    if place != st.session_state.get("sparql-error"):
        st.session_state["sparql-error"] = place
        st.rerun()


def _downloads_for(result: QueryResult) -> None:
    if result.kind == "ask":
        return
    cols = st.columns(3)
    cols[0].download_button("CSV", render(result, "csv"), "result.csv", "text/csv", key="dl-csv")
    cols[1].download_button(
        "JSON", render(result, "json"), "result.json", "application/sparql-results+json", key="dl-json"
    )
    if result.kind == "graph":
        from rdflib import Graph

        graph = Graph().parse(data=render(result, "ntriples") or "", format="nt")
        cols[2].download_button("Turtle", graph.serialize(format="turtle"), "result.ttl", "text/turtle", key="dl-ttl")
