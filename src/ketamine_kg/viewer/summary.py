"""The Summary of findings page: for one condition, Cochrane's summary-of-findings table read from
the graph's pooled estimates (``queries/summary-of-findings.rq``), one table per drug form and
comparison, one row per outcome and time window.

Numbers first, in words: the outcome, k, participants, the relative effect with its CI and measure,
the absolute effect per 1,000 for event outcomes, and the certainty with every reason it was moved
down. Each outcome links to the pooled estimate's own page (its included results and the rule that
chose each). The condition lives in the URL (``?condition=kkr:...``), so a copied link reopens it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

import streamlit as st

from ketamine_kg.errors import KetamineKGError

from . import data
from .chrome import condition_picker, header
from .results_view import show_error
from .text import entity_md, md_text

__all__ = [
    "absolute_words",
    "named",
    "number",
    "participants_words",
    "relative_words",
    "sof_groups",
    "summary_of_findings",
]

#: The query's rows are grouped into one table per (drug form, comparison).
Row = Mapping[str, str]
_MINUS = "\u2212"


def number(text: str | None, digits: int = 2) -> str:
    """A figure as a reader sees it: fixed digits, a real minus sign.

    >>> number("-0.4")
    '−0.40'
    >>> number("220", 0)
    '220'
    """
    if text is None or text == "":
        return ""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return str(text)
    shown = f"{value:.{digits}f}"
    if shown.lstrip("-").strip("0.") == "":
        shown = shown.lstrip("-")  # no "−0.00"
    return shown.replace("-", _MINUS)


def participants_words(row: Row) -> str:
    """Participants, and how many studies add none because their n is not recorded.

    >>> participants_words({"participants": "202", "studiesWithoutN": "2"})
    '202 (+ 2 studies, n not recorded)'
    >>> participants_words({"participants": "641", "studiesWithoutN": "0"})
    '641'
    """
    shown = number(row.get("participants"), 0)
    unknown = int(row.get("studiesWithoutN") or 0)
    if unknown:
        shown += f" (+ {unknown} stud{'ies' if unknown > 1 else 'y'}, n not recorded)"
    return shown


def relative_words(row: Row) -> str:
    """``Hedges' g −0.41 (95% CI −0.62 to −0.20)``: the pooled value with its measure in words.

    >>> relative_words({"measureLabel": "risk ratio", "value": "6.5", "ciLower": "3.2", "ciUpper": "13.1"})
    'risk ratio 6.50 (95% CI 3.20 to 13.10)'
    """
    return (
        f"{row.get('measureLabel', '')} {number(row.get('value'))} "
        f"(95% CI {number(row.get('ciLower'))} to {number(row.get('ciUpper'))})"
    )


def _per_1000(text: str) -> str:
    value = Decimal(text)
    amount = number(str(abs(value)), 0)
    return f"{amount} more" if value > 0 else f"{amount} fewer" if value < 0 else "no difference"


def absolute_words(row: Row) -> str:
    """The absolute effect per 1,000 for an event outcome, from the comparator arms' risk; empty
    for a continuous outcome.

    >>> absolute_words({"comparatorRiskPer1000": "40", "absolutePer1000": "220",
    ...                 "absoluteLowerPer1000": "88", "absoluteUpperPer1000": "484"})
    '220 more per 1,000 (95% CI 88 more to 484 more); comparator 40 per 1,000'
    >>> absolute_words({"value": "-0.4"})
    ''
    """
    if not row.get("absolutePer1000"):
        return ""
    text = f"{_per_1000(row['absolutePer1000'])} per 1,000"
    if row.get("absoluteLowerPer1000") and row.get("absoluteUpperPer1000"):
        text += f" (95% CI {_per_1000(row['absoluteLowerPer1000'])} to {_per_1000(row['absoluteUpperPer1000'])})"
    if row.get("comparatorRiskPer1000"):
        text += f"; comparator {number(row['comparatorRiskPer1000'], 0)} per 1,000"
    return text


def sof_groups(rows: Sequence[Row]) -> dict[tuple[str, str], list[Row]]:
    """The rows in one table per (drug form label, comparison in words), in the query's order."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row["drugLabel"], row["comparison"]), []).append(row)
    return groups


_HEAD = (
    "| Outcome | Time after the dose | Studies (k) | Participants | Relative effect (95% CI) "
    "| Absolute effect per 1,000 | Certainty | Why |\n|---|---|---:|---:|---|---|---|---|"
)


_SLUG = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b")


def named(text: str, labels: Mapping[str, str]) -> str:
    """``text`` with every resource id it names (a reason lists its studies by id) as its label.

    >>> named("not low: study-a-2020, risk-of-bias", {"kkr:study-a-2020": "A 2020"})
    'not low: A 2020, risk-of-bias'
    """
    return _SLUG.sub(lambda m: labels.get(f"kkr:{m.group()}", m.group()), text)


def _table(rows: Sequence[Row], labels: Mapping[str, str]) -> str:
    lines = [_HEAD]
    for row in rows:
        harm = "harm: " if row.get("outcomeKind") == "harm" else ""
        outcome = entity_md(row["pooled"], harm + row["outcomeLabel"])
        cells = [
            outcome,
            md_text(row.get("window", "")),
            number(row.get("studies"), 0),
            participants_words(row),
            md_text(relative_words(row)),
            md_text(absolute_words(row)),
            f"**{md_text(row.get('certainty', ''))}**",
            md_text(named(row.get("certaintyReasons", ""), labels)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_of_findings() -> None:
    path = header("Summary of findings")
    st.markdown(
        "Per drug form and comparison, what the studies in the graph add up to: one row per outcome and "
        "time window, from the graph's **pooled estimates** (random-effects meta-analyses of its own results, "
        "two or more studies each). The relative effect runs drug minus (or over) comparator. Certainty is a "
        "**rule-based, GRADE-style rating** (high, moderate, low, very low), not a guideline panel's "
        "judgement: *Why* names every domain it was moved down for, with the figures. An outcome opens the "
        "pooled estimate's page, with the results it pooled and the rule that chose each."
    )
    condition = condition_picker(path, "sof-condition")
    labels = dict(data.member_choices(path, "kk:MedicalCondition"))
    query = data.get_catalogue()["summary-of-findings"]
    try:
        result = data.get_worker(path).run(query.text, query.bindings({"condition": condition}), data.USER_LIMITS)
    except KetamineKGError as exc:  # shown in words, never a traceback
        show_error(exc)
        return
    rows = result.records()
    if not rows:
        st.write(
            f"No pooled estimate for {md_text(labels.get(condition, 'this condition'))}: no outcome there has two "
            "or more poolable studies of one drug form against one comparison."
        )
        return
    labels = data.all_labels(path)
    for (drug, comparison), group in sof_groups(rows).items():
        st.subheader(md_text(f"{drug} against {comparison}"))
        st.markdown(_table(group, labels))
