"""Choose the result rows that answer one pooling question, then pool them.

A row is a plain dict: the curated format's result fields (graph/curated/README.md)
joined with five fields of its study. Keys (values may be None or missing):

    id, study, outcome, instrument, measure, contrast, arm, arm_role, value, ci_lower, ci_upper,
    ci_level, se, sd, p_value, n_intervention, n_control, n, events, time_value, time_unit,
    time_from, contrast_order, comparison, comparator_arm, endpoint_role, subgroup, analysis_set,
    analysis_population, construct, verified, read_in       -- from the result
    outcome_construct, better_when, time_to_event,
    instrument_construct                                    -- from its outcome and instrument
    condition, drug, route, comparator_kind, design         -- from its study

:func:`normalise_row` also accepts the camelCase names that ``queries/inputs/pooling-inputs.rq``
projects and IRIs in place of slugs, so SPARQL bindings can be fed in unchanged. Nothing here
imports the RDF code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from ketamine_kg.evidence.pooling import Exclusion, Pooling

RESULT_KEYS = (
    "id", "study", "outcome", "instrument", "measure", "contrast", "arm", "arm_role", "value", "ci_lower", "ci_upper",
    "ci_level", "se", "sd", "p_value", "n_intervention", "n_control", "n", "events", "time_value", "time_unit",
    "time_from", "contrast_order", "comparison", "comparator_arm", "endpoint_role", "subgroup", "analysis_set",
    "analysis_population", "measures", "verified", "read_in", "harm",
)  # fmt: skip
#: What a row takes from its outcome and instrument entities (not fields of the result itself).
DERIVED_KEYS = ("outcome_construct", "instrument_construct", "better_when", "time_to_event")
STUDY_KEYS = ("condition", "drug", "route", "comparator_kind", "design")
ROW_KEYS = RESULT_KEYS + DERIVED_KEYS + STUDY_KEYS
SLUG_KEYS = {
    "id",
    "study",
    "outcome",
    "instrument",
    "measure",
    "arm_role",
    "time_unit",
    "time_from",
    "read_in",
    "harm",
    *STUDY_KEYS,
}
NUMBER_KEYS = {"value", "ci_lower", "ci_upper", "ci_level", "se", "sd", "p_value", "time_value"}
COUNT_KEYS = {"n_intervention", "n_control", "n", "events"}
DAYS_PER_UNIT = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 365.25 / 12}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def better_for_measure(
    measure: object, outcome: object, better_when: object, *, time_to_event: object = False
) -> object:
    """Which way is better for a figure of ``measure`` on ``outcome``.

    A hazard ratio compares how fast an event comes. On an outcome the curated data marks
    ``time_to_event: true`` (time to relapse) ``better_when`` is about the time, where longer is
    better; the hazard of the event then is better lower. Every other measure, and a hazard ratio
    on any other outcome (relapse itself), reads the outcome's better_when as it is.

    :param outcome: the outcome's slug; kept for the callers' sake, the answer reads ``time_to_event``.
    :param time_to_event: the outcome's ``time_to_event`` (a row's, from its Outcome entity).

    >>> better_for_measure("hazard-ratio", "time-to-relapse", "higher", time_to_event=True)
    'lower'
    >>> better_for_measure("hazard-ratio", "relapse", "lower")
    'lower'
    >>> better_for_measure("mean-difference", "madrs", "lower")
    'lower'
    """
    if measure == "hazard-ratio" and time_to_event is True and better_when in ("lower", "higher"):
        return "lower" if better_when == "higher" else "higher"
    return better_when


def normalise_row(binding: Mapping[str, Any]) -> dict[str, Any]:
    """A row with the snake_case keys above from snake_case or camelCase keys, slugs or IRIs.

    Numbers given as text (as SPARQL JSON results give them) become int or float; text that is
    not a number is kept as it is, so that pooling reports it rather than guessing.
    """
    out: dict[str, Any] = {}
    for key in ROW_KEYS:
        value = binding.get(key, binding.get(_camel(key)))
        if value is None or value == "":
            out[key] = None
            continue
        if key in ("verified", "time_to_event"):
            value = value not in (False, "false", "0", 0)
        elif key in SLUG_KEYS and isinstance(value, str):
            value = value.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        elif key in NUMBER_KEYS | COUNT_KEYS and isinstance(value, str):
            try:
                number = float(value)
                value = int(number) if key in COUNT_KEYS and number == int(number) else number
            except ValueError:
                pass
        out[key] = value
    # Kept apart so that normalising a normalised row changes nothing.
    out["outcome_better_when"] = binding.get("outcome_better_when", out.get("better_when"))
    out["better_when"] = better_for_measure(
        out.get("measure"), out.get("outcome"), out["outcome_better_when"], time_to_event=out["time_to_event"] is True
    )
    return out


@dataclass(frozen=True)
class Question:
    """What to pool. ``None`` means "any"; the time window is in days, both ends included.

    ``comparisons`` are the comparison classes to pool (default: the drug against placebo, inert or
    active); ``construct`` what the outcome measures (default: the construct most rows have, said
    so); ``subgroup`` a subgroup's name (default: whole analysed populations only);
    ``include_unverified`` adds unverified and secondary-copy figures, marked; ``harm`` the adverse
    effect a harm question is about (harms share one outcome, so one harm is pooled at a time).
    """

    measure: str
    condition: str | None = None
    outcome: str | None = None
    instrument: str | None = None
    time_min_days: float | None = None
    time_max_days: float | None = None
    time_from: str | None = None
    drug: str | None = None
    route: str | None = None
    comparator_kind: str | None = None
    design: str | None = None
    method: str = "reml"
    level: float = 95.0
    construct: str | None = None
    comparisons: tuple[str, ...] = ("inert-placebo", "active-placebo")
    subgroup: str | None = None
    include_unverified: bool = False
    harm: str | None = None


def days(row: Mapping[str, Any]) -> float | None:
    """The row's time point in days (a month is 365.25 / 12 days); None if it has none."""
    value, unit = row.get("time_value"), row.get("time_unit")
    if not isinstance(value, int | float) or isinstance(value, bool) or unit not in DAYS_PER_UNIT:
        return None
    return float(value) * DAYS_PER_UNIT[unit]


def select(rows: Iterable[Mapping[str, Any]], question: Question) -> tuple[list[dict[str, Any]], list[Exclusion]]:
    """The rows inside the question, and those of its condition and outcome left outside (with why).

    Rows of another condition or outcome are not candidates at all and are not reported.
    """
    chosen: list[dict[str, Any]] = []
    outside: list[Exclusion] = []
    for raw in rows:
        row = normalise_row(raw)
        if question.condition and row["condition"] != question.condition:
            continue
        if question.outcome and row["outcome"] != question.outcome:
            continue
        reason = outside_selection(row, question)
        if reason:
            outside.append(Exclusion(str(row["id"] or "?"), row["study"], f"outside the selection: {reason}"))
        else:
            chosen.append(row)
    return chosen, outside


def outside_selection(row: Mapping[str, Any], q: Question) -> str | None:
    for key in ("instrument", "time_from", "drug", "route", "comparator_kind", "design"):
        wanted = getattr(q, key)
        got = (row.get("instrument") or row.get("outcome")) if key == "instrument" else row.get(key)
        if wanted and got != wanted:
            return f"{key.replace('_', ' ')} {got or 'not given'}, not {wanted}"
    if q.time_min_days is not None or q.time_max_days is not None:
        when = days(row)
        if when is None:
            return "no time point"
        too_early = q.time_min_days is not None and when < q.time_min_days
        if too_early or (q.time_max_days is not None and when > q.time_max_days):
            return f"time {float(row['time_value']):g} {row.get('time_unit')} is outside the window"
    return None


def answer(rows: Iterable[Mapping[str, Any]], question: Question) -> Pooling:
    """Select the rows for ``question``, harmonize them and pool them (see
    :func:`ketamine_kg.evidence.harmonize.answer`); the selection's exclusions come first."""
    from ketamine_kg.evidence.harmonize import answer as harmonized

    return harmonized(rows, question)


QUESTION_FIELDS = tuple(f.name for f in fields(Question))
