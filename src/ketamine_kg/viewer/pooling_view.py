"""The Evidence page's numbers: a forest plot of one pooling question, the time course of an effect,
and response and remission by arm, each with PNG, SVG and CSV downloads.

The question lives in the URL (``f_*`` parameters), so a copied link reopens the same plot.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from ketamine_kg.evidence.harmonize import course
from ketamine_kg.evidence.pooling import FAMILIES, METHOD_NAMES, METHODS
from ketamine_kg.evidence.selection import Question, answer

from . import data, forest

__all__ = ["evidence_numbers"]

ANY = "any"
#: Time windows in days after the dose (both ends included), as readers ask them.
WINDOWS = {
    ANY: (None, None),
    "within 1 day": (0.0, 1.0),
    "2 to 7 days": (1.01, 7.0),
    "8 days to 6 weeks": (7.01, 42.0),
    "after 6 weeks": (42.01, None),
}
ALL_DRUGS = "all drug forms (mixed)"
#: Comparison classes as readers ask them; the first is the default.
COMPARISONS = {
    "placebo (inert or active)": ("inert-placebo", "active-placebo"),
    "inert placebo": ("inert-placebo",),
    "active placebo (e.g. midazolam)": ("active-placebo",),
    "another active treatment": ("active-treatment",),
    "another dose": ("dose-comparison",),
    "another schedule or route": ("schedule-or-route-comparison",),
    "added to treatment, open": ("open-add-on",),
    "usual care": ("usual-care",),
    "co-intervention after the drug": ("co-intervention",),
}
DESIGNS = (ANY, "randomized-controlled-trial", "open-label-trial", "non-randomized-trial", "observational-study")


@st.cache_data(show_spinner=False)
def pooling_rows(path: str) -> list[dict[str, Any]]:
    """Every result with its study's fields (queries/inputs/pooling-inputs.rq), once per graph."""
    text = (data.get_layout().root / "queries" / "inputs" / "pooling-inputs.rq").read_text(encoding="utf-8")
    # The worker's records are compact ("kkr:ketamine"); the pooling speaks the curated slugs.
    return [
        {k: v.removeprefix("kkr:") for k, v in row.items()}
        for row in data.get_worker(path).run(text, None, data.USER_LIMITS).records()
    ]


def _pick(label: str, options: list[str], names: dict[str, str], param: str, default: str) -> str:
    current = st.query_params.get(param, default)
    index = options.index(current) if current in options else 0
    chosen = st.selectbox(label, options, index=index, format_func=lambda v: names.get(v, v), key=f"ev-{param}")
    st.query_params[param] = chosen
    return chosen


_rendered = st.cache_data(show_spinner="Drawing the files…", max_entries=32)(forest.render_files)


def _downloads(chart: Any, frame: Any, stem: str) -> None:
    # Rendering PNG and SVG takes most of a second each; only a reader who asks pays for it.
    if not st.toggle("Downloads: PNG, SVG, CSV", key=f"{stem}-downloads"):
        return
    png_bytes, svg_bytes = _rendered(forest.static_spec(chart))
    png, svg, csv = st.columns(3)
    png.download_button("PNG", png_bytes, f"{stem}.png", "image/png", key=f"{stem}-png")
    svg.download_button("SVG", svg_bytes, f"{stem}.svg", "image/svg+xml", key=f"{stem}-svg")
    csv.download_button("CSV", frame.to_csv(index=False).encode(), f"{stem}.csv", "text/csv", key=f"{stem}-csv")


def _default_drug(rows: list[dict[str, Any]], condition: str, outcome: str, drugs: list[str]) -> str:
    """One drug form by default (no silent mix): the one with most results on this question."""
    counts: dict[str, int] = {}
    for r in rows:
        if r.get("condition") == condition and r.get("outcome") == outcome and r.get("drug"):
            counts[r["drug"]] = counts.get(r["drug"], 0) + 1
    ranked = sorted(counts, key=lambda d: (-counts[d], d))
    return ranked[0] if ranked else (drugs[1] if len(drugs) > 1 else ALL_DRUGS)


def _ask(
    rows: list[dict[str, Any]],
    names: dict[str, str],
    conditions: list[str],
    outcomes: list[str],
    drugs: list[str],
    routes: list[str],
) -> tuple[Question, str, str]:
    """Decides the question from the widgets (each kept in the URL): the Question, the drug form picked
    (or all, mixed) and the comparison label picked."""
    top = st.columns(4)
    with top[0]:
        condition = _pick("Condition", conditions, names, "f_cond", "treatment-resistant-depression")
    with top[1]:
        outcome = _pick("Outcome", outcomes, names, "f_out", "madrs")
    with top[2]:
        measure = _pick("Measure", list(FAMILIES), {}, "f_meas", "mean-difference")
    with top[3]:
        method = _pick("Method", list(METHODS), METHOD_NAMES, "f_meth", "reml")
    low = st.columns(5)
    with low[0]:
        window = _pick("Time after the dose", list(WINDOWS), {}, "f_time", "8 days to 6 weeks")
    with low[1]:
        drug = _pick("Drug form", drugs, names, "f_drug", _default_drug(rows, condition, outcome, drugs))
    with low[2]:
        route = _pick("Route", routes, names, "f_route", ANY)
    with low[3]:
        comparison = _pick("Compared with", list(COMPARISONS), {}, "f_comp", next(iter(COMPARISONS)))
    with low[4]:
        design = _pick("Design", list(DESIGNS), {}, "f_design", ANY)
    unverified = st.toggle(
        "Include unverified and secondary-copy figures (marked in each label)",
        value=st.query_params.get("f_unver") == "1",
        key="ev-f_unver",
    )
    st.query_params["f_unver"] = "1" if unverified else "0"
    lo, hi = WINDOWS[window]
    question = Question(
        measure=measure,
        condition=condition,
        outcome=outcome,
        time_min_days=lo,
        time_max_days=hi,
        drug=None if drug == ALL_DRUGS else drug,
        route=None if route == ANY else route,
        design=None if design == ANY else design,
        method=method,
        comparisons=COMPARISONS[comparison],
        include_unverified=unverified,
    )
    return question, drug, comparison


def _forest_section(
    rows: list[dict[str, Any]],
    question: Question,
    name: Any,
    condition: str,
    outcome: str,
    drug_title: str,
    comparison: str,
) -> None:
    """The pooled answer: its summary and notes, the forest plot (a study picked links to its record),
    and what was left out and why."""
    pooled = answer(rows, question)
    st.markdown(f"**{forest.summary_line(pooled)}**")
    for note in pooled.notes:
        st.caption(note)
    study_labels = {s: name(s) for s in {e.study for e in pooled.included}}
    frame = forest.forest_frame(pooled, study_labels)
    if pooled.included:
        title = f"{name(outcome)}: {name(condition)}, {drug_title}, against {comparison}"
        chart = forest.forest_chart(frame, pooled, title)
        event = st.altair_chart(chart, width="content", on_select="rerun", key="forest-chart")
        chosen = [p.get("study") for p in (getattr(event, "selection", {}) or {}).get("row", []) if p.get("study")]
        if chosen:
            st.markdown(f"Selected: [{name(chosen[0])}](entity?id={chosen[0]}) (its record, results and sources)")
        _downloads(chart, frame, "forest-plot")
    if pooled.excluded:
        with st.expander(f"Left out ({len(pooled.excluded)}) and why"):
            st.dataframe(
                [{"result": x.result_id, "study": name(x.study or ""), "reason": x.reason} for x in pooled.excluded],
                hide_index=True,
                width="stretch",
            )


def _time_course_section(
    rows: list[dict[str, Any]],
    question: Question,
    name: Any,
    condition: str,
    outcome: str,
    drug_title: str,
    comparison: str,
) -> None:
    """The same question's between-group results at every time point, one panel per measure."""
    st.subheader("Time course")
    st.caption(
        f"Each between-group result on {name(outcome)} in {name(condition)} ({drug_title}, against "
        f"{comparison}) at its time point after the dose (log scale), harmonized as above: drug minus "
        "(or over) comparator, one panel per measure, whole populations only."
    )
    points = course(rows, replace(question, time_min_days=None, time_max_days=None))
    import pandas as pd

    if points:
        course_chart = forest.time_course_chart([{**p, "drug": name(p["drug"])} for p in points], name(outcome))
        st.altair_chart(course_chart, width="stretch", key="time-course-chart")
        _downloads(course_chart, pd.DataFrame(points), "time-course")
    else:
        st.write("No between-group result with a recorded direction answers this question at a time point.")


def _rates_section(path: str, condition: str) -> None:
    """Response and remission rates by arm for the condition."""
    import pandas as pd

    st.subheader("Response and remission by arm")
    q = data.get_catalogue()["response-and-remission-by-arm"]
    rates = data.get_worker(path).run(q.text, q.bindings({"condition": f"kkr:{condition}"}), data.USER_LIMITS).records()
    if rates:
        rates_chart = forest.rates_chart(rates)
        st.altair_chart(rates_chart, width="stretch", key="rates-chart")
        _downloads(rates_chart, pd.DataFrame(rates), "response-remission")
    else:
        st.write("No per-arm response or remission rates recorded for this condition.")


#: At phone width (where Streamlit stacks columns) the forest plot is drawn before its controls;
#: on any screen narrower than the plot (its columns have fixed widths) it scrolls sideways
#: instead of being cut at the edge.
_PHONE_ORDER = (
    "<style>.st-key-kk-ev-forest [data-testid=stElementContainer]:has([data-testid=stVegaLiteChart])"
    " {overflow-x: auto; max-width: 100%}"
    " @media (max-width: 640px) {"
    " .st-key-kk-ev-pooled [data-testid=stLayoutWrapper]:has(> .st-key-kk-ev-question) {order: 2}"
    " .st-key-kk-ev-pooled [data-testid=stLayoutWrapper]:has(> .st-key-kk-ev-forest) {order: 1} }</style>"
)


def evidence_numbers(path: str) -> None:
    labels = data.all_labels(path)
    rows = pooling_rows(path)

    def name(slug: str) -> str:
        return labels.get(f"kkr:{slug}", slug)

    names = {
        slug: name(slug)
        for r in rows
        for slug in (r.get("condition"), r.get("outcome"), r.get("drug"), r.get("route"))
        if slug
    }
    names[ANY] = ANY
    conditions = sorted({r["condition"] for r in rows}, key=name)
    outcomes = sorted({r["outcome"] for r in rows}, key=name)
    drugs = [ALL_DRUGS, *sorted({r["drug"] for r in rows if r.get("drug")}, key=name)]
    routes = [ANY, *sorted({r["route"] for r in rows if r.get("route")}, key=name)]

    st.subheader("Pooled effects: forest plot")
    st.caption(
        "A random-effects (or fixed-effect) meta-analysis of the results in the graph that answer one "
        "question, every effect turned to drug minus (or over) comparator from the direction each "
        "source recorded. Only whole populations, one time point per study, one construct, and "
        "verified figures read in the study's own report (unless included below); multi-arm trials "
        "count once. Everything left out is listed with the reason."
    )
    # The question's nine controls come first in the page (the plot needs their values), but at
    # phone width, where the columns stack into a long list, the plot is shown above them.
    st.html(_PHONE_ORDER)
    with st.container(key="kk-ev-pooled"):
        with st.container(key="kk-ev-question"):
            question, drug, comparison = _ask(rows, names, conditions, outcomes, drugs, routes)
        condition, outcome = str(question.condition), str(question.outcome)
        drug_title = "all drug forms, mixed" if drug == ALL_DRUGS else name(drug)
        with st.container(key="kk-ev-forest"):
            _forest_section(rows, question, name, condition, outcome, drug_title, comparison)
    _time_course_section(rows, question, name, condition, outcome, drug_title, comparison)
    _rates_section(path, condition)
