"""Answer one pooling question so that only like is pooled with like (issue 16).

The one sign convention (README, "Evidence you can count"):

- continuous measures (mean differences, SMDs): **drug arm minus comparator arm**. A figure the
  source printed as comparator minus drug is negated (its CI with it); the printed value is kept
  beside the harmonized one. On an outcome where lower is better (MADRS) a negative effect favours
  the drug; where higher is better (days abstinent) a positive one does.
- ratios (risk, odds, hazard): **drug over comparator**, pooled as logs; a figure printed as
  comparator over drug is inverted. For an event where higher is better (response) a ratio above 1
  favours the drug; for one where lower is better (relapse, an adverse event) a ratio below 1.
- ``favours`` is ``drug`` or ``comparator`` when the CI lies wholly on that side of no effect, and
  ``neither`` when it crosses it.

The direction comes from two recorded facts, never from a guess: the result's ``contrast_order``
and its outcome's ``better_when``. A row missing either (or with ``contrast_order: not-stated``) is
left out with that reason. Per-arm rows need no contrast order (the arms say which is which), but
per-arm change scores do not record whether a fall was printed as positive, so they are left out.

What is pooled together, each rule printed in the answer:

1. One **construct** (the result's own, else its instrument's, else its outcome's); the question
   names it, or the construct of most candidate rows is taken and the answer says so.
2. The asked **comparison classes** (the result's ``comparison``, else its study's comparator kind):
   by default the drug against placebo, inert or active.
3. **Whole analysed populations** (no ``subgroup``) unless a subgroup is asked for; verified
   figures read in the study's own report unless ``include_unverified`` (then marked).
4. **One time point per study**: inside the asked window, the study's primary endpoint when it is
   there, else the latest time point inside the window. Without a window, only results marked
   ``endpoint_role: primary`` are used, and the answer says so.
5. **Each study once, no control arm twice**. A multi-arm trial's intervention arms are combined
   (Cochrane Handbook 6.5.2.10: events and n summed; means and SDs pooled) where per-arm data
   exist; where only contrasts exist, the shared control's n is split evenly across them (Handbook
   23.3.4) and each contrast's variance recomputed with that n, assuming one SD in both arms.
   Within one arm, a reported contrast is preferred to one derived from per-arm data, ITT before
   modified ITT before others, then the larger n, then the result id.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from ketamine_kg.evidence.pooling import (
    FAMILY_OF_MEASURE,
    METHOD_NAMES,
    METHODS,
    RATIOS,
    Estimate,
    Exclusion,
    Pooling,
    PoolingError,
    as_count,
    as_number,
    classify_row,
    estimate_from_arms,
    meta_analyse,
)
from ketamine_kg.evidence.selection import days, normalise_row, outside_selection

if TYPE_CHECKING:
    from ketamine_kg.evidence.selection import Question

Row = dict[str, Any]

#: A study's comparator kind says the comparison class where the result does not.
CLASS_OF_KIND = {
    "saline-placebo": "inert-placebo",
    "placebo": "inert-placebo",
    "active-placebo": "active-placebo",
    "active-treatment": "active-treatment",
    "dose-comparison": "dose-comparison",
}
COMPARISON_CLASSES = (
    "inert-placebo", "active-placebo", "active-treatment", "dose-comparison", "schedule-or-route-comparison",
    "open-add-on", "usual-care", "co-intervention", "no-comparator",
)  # fmt: skip
DEFAULT_COMPARISONS = ("inert-placebo", "active-placebo")
DIFFERENCE_ORDER = {"intervention-minus-comparator": 1.0, "comparator-minus-intervention": -1.0}
RATIO_ORDER = {"intervention-over-comparator": 1.0, "comparator-over-intervention": -1.0}
#: Which analysis set stands for a study when it reports several (lower first).
SET_RANK = {"itt": 0, "mitt": 1, "full-analysis-set": 2, "not-stated": 3, "safety-set": 4, "per-protocol": 5}
SET_RANK_LAST = 6  # completers and anything else


def resolved_construct(row: Mapping[str, Any]) -> str | None:
    """The result's construct, else its instrument's, else its outcome's."""
    return row.get("measures") or row.get("instrument_construct") or row.get("outcome_construct") or None


def construct_key(row: Mapping[str, Any]) -> str | None:
    """What a row measures, as pooling keeps apart: its construct, and for a harm which adverse effect
    (every harm is an adverse event, and dissociation must never pool with nausea)."""
    construct = resolved_construct(row)
    harm = row.get("harm")
    return f"{construct} ({harm})" if construct and harm else construct


def resolved_comparison(row: Mapping[str, Any]) -> str | None:
    """The result's comparison class, else the one its study's comparator kind implies."""
    return row.get("comparison") or CLASS_OF_KIND.get(str(row.get("comparator_kind"))) or None


def favours(lower: float, upper: float, better_when: str | None) -> str:
    """drug, comparator or neither, for an interval on the harmonized analysis scale (0 = no effect)."""
    if better_when not in ("lower", "higher") or lower <= 0 <= upper:
        return "neither"
    below = upper < 0
    return "drug" if below == (better_when == "lower") else "comparator"


def _on_convention(
    value: float, bounds: list[float | None], sign: float, ratio: bool
) -> tuple[float, float | None, float | None]:
    """Decides the figure on the convention: unchanged when printed drug first, else negated (or
    inverted for a ratio), its CI bounds swapped with it."""
    if sign < 0:
        value = 1 / value if ratio else -value
        flipped = [None if b is None else (1 / b if ratio else -b) for b in bounds]
        bounds = [flipped[1], flipped[0]]
    return value, bounds[0], bounds[1]


def _figure_favours(lo: float | None, hi: float | None, ratio: bool, better_when: str | None) -> str:
    """Decides which side a harmonized figure's CI favours; neither without both bounds."""
    if lo is None or hi is None:
        return "neither"
    # favours() reads an interval on the analysis scale, where 0 is no effect (logs for ratios).
    scale = (lambda x: math.log(x)) if ratio else (lambda x: x)
    return favours(scale(lo), scale(hi), better_when)


def harmonized_figure(row: Mapping[str, Any]) -> tuple[float, float | None, float | None, str] | str:
    """One between-group figure on the pooling's convention: (value, CI lower, CI upper, favours),
    drug minus comparator or drug over comparator; or why it cannot be put there.

    The printed figure is never changed: this is the figure beside it, as a spreadsheet shows it.
    """
    family = FAMILY_OF_MEASURE.get(str(row.get("measure")))
    value = row.get("value")
    if row.get("arm_role"):
        return "a per-arm figure, not a between-group one"
    if family is None:
        return f"measure {row.get('measure')}: not one the pooling reads"
    if not isinstance(value, int | float):
        return "no value"
    ratio = family in RATIOS
    sign = (RATIO_ORDER if ratio else DIFFERENCE_ORDER).get(str(row.get("contrast_order")))
    if sign is None:
        return f"contrast order {row.get('contrast_order') or 'not recorded'}: which way it runs is unknown"
    lower, upper = row.get("ci_lower"), row.get("ci_upper")
    bounds = [b if isinstance(b, int | float) else None for b in (lower, upper)]
    if ratio and (value <= 0 or any(b is not None and b <= 0 for b in bounds)):
        return "a ratio at or below 0 cannot be inverted"
    value, lo, hi = _on_convention(value, bounds, sign, ratio)
    return float(value), lo, hi, _figure_favours(lo, hi, ratio, row.get("better_when"))


def _time(row: Mapping[str, Any]) -> str:
    if row.get("time_value") is None:
        return "no time point"
    value = row["time_value"]
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {row.get('time_unit') or ''}".strip() + (
        f" from {row['time_from']}" if row.get("time_from") else ""
    )


def _printed(row: Mapping[str, Any]) -> str:
    if row.get("arm_role"):
        if row.get("events") is not None:
            return f"{row.get('arm') or row.get('arm_role')}: {row.get('events')}/{row.get('n')}"
        sd = f" (SD {row['sd']:g})" if isinstance(row.get("sd"), int | float) else ""
        return f"{row.get('arm') or row.get('arm_role')}: {row.get('value')}{sd}, n {row.get('n')}"
    text = f"{row.get('value')}"
    if row.get("ci_lower") is not None and row.get("ci_upper") is not None:
        text += f" ({row.get('ci_level') or '?'}% CI {row['ci_lower']} to {row['ci_upper']})"
    elif row.get("se") is not None:
        text += f" (SE {row['se']})"
    return text + (f" [{row['contrast_order']}]" if row.get("contrast_order") else "")


def _flags(row: Mapping[str, Any]) -> tuple[str, ...]:
    out = []
    if row.get("verified") is False:
        out.append("unverified")
    if row.get("read_in"):
        out.append(f"secondary copy ({row['read_in']})")
    return tuple(out)


def _source_gate(row: Row, q: Question) -> str | None:
    """Decides whether the row's source and population may be pooled: not a meta-analysis, verified in
    the study's own report (unless asked), the whole population or the asked subgroup."""
    if row.get("design") in ("meta-analysis", "ipd-meta-analysis"):
        return f"{row['design']}: a pooled result, not a study (pooling it would count its trials twice)"
    if not q.include_unverified:
        if row.get("verified") is False:
            return "unverified figure (verified: false); --include-unverified adds it, marked"
        if row.get("read_in"):
            return f"secondary copy (read in {row['read_in']}, not the study's report); --include-unverified adds it"
    subgroup = row.get("subgroup") or ""
    if q.subgroup is None and subgroup:
        return f"subgroup '{subgroup}': only whole analysed populations are pooled unless a subgroup is asked"
    if q.subgroup is not None and subgroup != q.subgroup:
        return f"not the subgroup asked ({subgroup or 'whole population'})"
    return None


def _kind_gate(row: Row, q: Question) -> str | None:
    """Decides whether the row is of the asked kind: a recorded, asked comparison class, a recorded
    (and asked) construct, and a recorded direction of better."""
    comparison = resolved_comparison(row)
    if comparison is None:
        kind = row.get("comparator_kind") or "none recorded"
        return f"comparison class not recorded (the study's comparator kind is {kind})"
    if comparison not in q.comparisons:
        return f"comparison {comparison}, not asked (pooling {', '.join(q.comparisons)})"
    if resolved_construct(row) is None:
        return "construct not recorded (on the result, its instrument or its outcome)"
    if q.construct and resolved_construct(row) != q.construct:
        return f"construct {resolved_construct(row)}, not {q.construct}"
    if row.get("better_when") not in ("lower", "higher"):
        return f"outcome {row.get('outcome')} records no better_when: which way is better is unknown"
    return None


def _order_gate(row: Row, family: str) -> str | None:
    """Decides whether the row's sign is known: a per-arm row by its arms (but not a change score), a
    contrast by a recorded contrast order that fits the measure's family."""
    if row.get("arm_role"):
        if row.get("measure") == "mean-change":
            return (
                "per-arm change score: whether a fall was printed as positive is not recorded, so its sign is unknown"
            )
        return None
    order = row.get("contrast_order")
    if FAMILY_OF_MEASURE.get(str(row.get("measure"))) != family:
        return None  # classify_row gives the measure's own reason
    if not order:
        return "contrast order not recorded: which arm minus (or over) which is unknown"
    if order == "not-stated":
        return "the source does not state which way its figure runs (contrast_order not-stated)"
    wanted = RATIO_ORDER if family in RATIOS else DIFFERENCE_ORDER
    if order not in wanted:
        return f"contrast order {order} does not fit a {family}"
    return None


def _gate(row: Row, q: Question, family: str) -> str | None:
    """Why the row cannot be pooled for this question at all, or None (the first reason found, checked
    in this order)."""
    return _source_gate(row, q) or _kind_gate(row, q) or _order_gate(row, family)


def _harmonize(e: Estimate, row: Row, family: str) -> Estimate:
    sign = (RATIO_ORDER if family in RATIOS else DIFFERENCE_ORDER).get(str(row.get("contrast_order")), 1.0)
    return replace(
        e,
        effect=sign * e.effect,
        printed=_printed(row),
        analysis_population=str(row.get("analysis_population") or ""),
        analysis_set=str(row.get("analysis_set") or "not-stated"),
        subgroup=str(row.get("subgroup") or ""),
        time=_time(row),
        flags=_flags(row),
        drug=str(row.get("drug") or ""),
    )


class _Candidate:
    """One poolable estimate of one study at one time point, before the per-study choice."""

    def __init__(self, estimate: Estimate, rows: list[Row], arm: str, comparator_arm: str) -> None:
        self.estimate, self.rows, self.arm, self.comparator_arm = estimate, rows, arm, comparator_arm
        self.reported = not rows[0].get("arm_role")
        self.days = days(rows[0])
        self.primary = any(r.get("endpoint_role") == "primary" for r in rows)
        self.ids = [str(r.get("id")) for r in rows]

    def rank(self) -> tuple[Any, ...]:
        return (
            not self.reported,
            min(SET_RANK.get(str(r.get("analysis_set") or "not-stated"), SET_RANK_LAST) for r in self.rows),
            -(self.estimate.n or 0),
            self.estimate.result_id,
        )


def _checked_family(q: Question) -> str:
    """Decides whether the question can be answered at all: the measure's family, or a PoolingError
    naming the measure, method, level or comparison class that cannot be used."""
    family = FAMILY_OF_MEASURE.get(q.measure)
    if family is None:
        raise PoolingError(
            f"cannot pool {q.measure!r}; poolable measures: {', '.join(sorted(set(FAMILY_OF_MEASURE.values())))}"
        )
    if q.method not in METHODS:
        raise PoolingError(f"unknown method {q.method!r}; use one of {', '.join(METHODS)}")
    if not 0 < q.level < 100:
        raise PoolingError(f"confidence level must be between 0 and 100, not {q.level}")
    unknown = [c for c in q.comparisons if c not in COMPARISON_CLASSES]
    if unknown or not q.comparisons:
        raise PoolingError(
            f"unknown comparison class {', '.join(unknown) or '(none)'}; use: {', '.join(COMPARISON_CLASSES)}"
        )
    return family


def _question_notes(q: Question, windowed: bool) -> list[str]:
    """Decides the notes the answer opens with: the comparison classes, how the time point is chosen
    when no window is asked, and whether unverified figures are in."""
    notes: list[str] = []
    comparisons = ", ".join(q.comparisons)
    notes.append(
        f"comparison: drug against {comparisons}"
        + (" (the default: placebo, inert or active)" if tuple(q.comparisons) == DEFAULT_COMPARISONS else "")
    )
    if not windowed and q.harm:
        # A harm is counted over the period its source reports (the double-blind phase), not at a
        # primary efficacy time point.
        notes.append(
            "no time window asked: each study's harm counts over the period it reports (the latest if several)"
        )
    elif not windowed:
        notes.append("no time window asked: each study's primary endpoint (endpoint_role primary) is used")
    if q.include_unverified:
        notes.append("unverified and secondary-copy figures included, marked in each row")
    return notes


def _exclude(excluded: list[Exclusion], row: Mapping[str, Any], reason: str) -> None:
    """Record one row left out, with why."""
    excluded.append(Exclusion(str(row.get("id") or "?"), row.get("study"), reason))


def _asked(row: Mapping[str, Any], q: Question) -> bool:
    """Decides whether a row is about what the question asks (condition, outcome or construct, harm);
    rows that are not are dropped silently, not listed as excluded."""
    if q.condition and row["condition"] != q.condition:
        return False
    if q.outcome and row["outcome"] != q.outcome:
        return False
    if not q.outcome and q.construct and resolved_construct(row) != q.construct:
        return False
    return not (q.harm and row.get("harm") != q.harm)


def _selected(
    rows: Iterable[Mapping[str, Any]], q: Question, family: str, windowed: bool, excluded: list[Exclusion]
) -> list[Row]:
    """Step 1: decides which rows pass the question's selection and the gates; the rest that were
    asked about are excluded with the reason."""
    passed: list[Row] = []
    for raw in rows:
        row = normalise_row(raw)
        if not _asked(row, q):
            continue
        reason = outside_selection(row, q)
        if reason:
            _exclude(excluded, row, f"outside the selection: {reason}")
            continue
        reason = _gate(row, q, family)
        if reason:
            _exclude(excluded, row, reason)
        elif not windowed and not row.get("harm") and row.get("endpoint_role") != "primary":
            _exclude(
                excluded,
                row,
                "no time window asked: not the study's primary endpoint "
                f"(endpoint_role {row.get('endpoint_role') or 'not recorded'})",
            )
        else:
            passed.append(row)
    return passed


def _chosen_construct(passed: list[Row], q: Question, notes: list[str]) -> str | None:
    """Step 2a: decides the one construct pooled, the asked one or else the one most rows measure,
    and notes which (and what else was found)."""
    constructs = Counter(construct_key(r) for r in passed)
    construct = f"{q.construct} ({q.harm})" if q.construct and q.harm else q.construct
    if construct is None and constructs:
        construct = min(constructs, key=lambda c: (-constructs[c], str(c)))
        if len(constructs) > 1:
            others = ", ".join(f"{c} ({constructs[c]})" for c in sorted(constructs, key=str) if c != construct)
            notes.append(
                f"construct: {construct}, the one most rows measure; also found: {others}"
                " (ask with --construct or --harm)"
            )
        else:
            notes.append(f"construct: {construct}")
    elif construct:
        notes.append(f"construct: {construct} (asked)")
    return construct


def _one_construct_and_direction(
    passed: list[Row], construct: str | None, excluded: list[Exclusion]
) -> tuple[list[Row], str | None]:
    """Step 2b: decides which rows measure the pooled construct and share its direction of better
    (the direction of most such rows); the others are excluded."""
    kept: list[Row] = []
    for r in passed:
        if construct_key(r) != construct:
            _exclude(excluded, r, f"different construct: {construct_key(r)} (pooling {construct})")
        else:
            kept.append(r)
    directions = Counter(r.get("better_when") for r in kept)
    better = min(directions, key=lambda d: (-directions[d], str(d))) if directions else None
    same: list[Row] = []
    for r in kept:
        if r.get("better_when") != better:
            _exclude(
                excluded,
                r,
                f"{r.get('outcome')} is better when {r.get('better_when')}, the pooled outcome when {better}",
            )
        else:
            same.append(r)
    return same, better


def _candidates(passed: list[Row], family: str, excluded: list[Exclusion]) -> list[_Candidate]:
    """Step 3: decides each row's estimate: a reported contrast harmonized, per-arm rows grouped by
    study, outcome and time and turned into one, or the row excluded with why it gives none."""
    candidates: list[_Candidate] = []
    arm_groups: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for r in passed:
        got = classify_row(r, family)
        if isinstance(got, Estimate):
            e = _harmonize(got, r, family)
            candidates.append(
                _Candidate(e, [r], str(r.get("arm") or r.get("contrast") or ""), str(r.get("comparator_arm") or ""))
            )
        elif got == "arm":
            key = (
                r.get("study"),
                r.get("outcome"),
                r.get("instrument"),
                r.get("time_value"),
                r.get("time_unit"),
                r.get("time_from"),
            )
            arm_groups[key].append(r)
        else:
            _exclude(excluded, r, got)
    for group in arm_groups.values():
        made = _arms_estimate(group, family)
        if isinstance(made, str):
            for r in group:
                _exclude(excluded, r, made)
        else:
            candidates.append(made)
    return candidates


def _one_instrument(
    candidates: list[_Candidate], q: Question, family: str, excluded: list[Exclusion]
) -> tuple[list[_Candidate], str | None]:
    """Step 3b: decides, for mean differences only, the one instrument pooled (the asked one, else the
    one most estimates use); estimates on another are excluded."""
    if family != "mean-difference" or not candidates:
        return candidates, None
    counts = Counter(c.estimate.instrument or "?" for c in candidates)
    instrument = q.instrument or min(counts, key=lambda name: (-counts[name], name))
    for c in [c for c in candidates if c.estimate.instrument != instrument]:
        for rid in c.ids:
            excluded.append(
                Exclusion(
                    rid, c.estimate.study, f"different instrument: {c.estimate.instrument} (pooling {instrument})"
                )
            )
    return [c for c in candidates if c.estimate.instrument == instrument], instrument


def _per_study(candidates: list[_Candidate], windowed: bool, excluded: list[Exclusion]) -> list[Estimate]:
    """Step 4: decides, study by study (in study order), one time point and then one estimate (or
    split contrasts) at it."""
    included: list[Estimate] = []
    by_study: dict[str, list[_Candidate]] = defaultdict(list)
    for c in candidates:
        by_study[c.estimate.study].append(c)
    for study in sorted(by_study):
        included += _one_study(by_study[study], windowed, excluded)
    return included


def _effect_note(family: str, better: str) -> str:
    """Decides how the answer states its scale and which side of no effect favours the drug."""
    scale = "ratio drug/comparator" if family in RATIOS else "drug minus comparator"
    good = (
        ("below 1" if better == "lower" else "above 1")
        if family in RATIOS
        else ("negative" if better == "lower" else "positive")
    )
    return f"effects are {scale}; better when {better}, so {good} favours the drug"


def answer(rows: Iterable[Mapping[str, Any]], q: Question) -> Pooling:
    """Select, harmonize, choose one time point and arm handling per study, and pool."""
    family = _checked_family(q)
    excluded: list[Exclusion] = []
    windowed = q.time_min_days is not None or q.time_max_days is not None
    notes = _question_notes(q, windowed)

    # 1. The question's selection and the gates.
    passed = _selected(rows, q, family, windowed, excluded)

    # 2. One construct, one direction of better (and for mean differences one instrument).
    construct = _chosen_construct(passed, q, notes)
    passed, better = _one_construct_and_direction(passed, construct, excluded)

    # 3. Estimates: reported contrasts harmonized; per-arm rows grouped by study, outcome and time.
    candidates, instrument = _one_instrument(_candidates(passed, family, excluded), q, family, excluded)

    # 4. Per study: one time point, then one estimate (or split contrasts) at it.
    included = _per_study(candidates, windowed, excluded)

    # 5. Pool; favours for each row and for the answer.
    z = NormalDist().inv_cdf(0.5 + q.level / 200)
    included = [
        replace(e, favours=favours(e.effect - z * math.sqrt(e.variance), e.effect + z * math.sqrt(e.variance), better))
        for e in included
    ]
    summary = None
    verdict = None
    if len({e.study for e in included}) >= 2 and len(included) >= 2:
        summary = meta_analyse([e.effect for e in included], [e.variance for e in included], q.method, q.level)
        verdict = favours(summary.ci_lower, summary.ci_upper, better)
    drugs = sorted({e.drug for e in included if e.drug})
    if len(drugs) > 1:
        notes.append(f"drug forms pooled together: {', '.join(drugs)} (ask for one with --drug)")
    if better:
        notes.append(_effect_note(family, better))
    return Pooling(
        family,
        METHOD_NAMES[q.method],
        tuple(included),
        tuple(sorted(excluded, key=lambda x: (x.study or "", x.result_id))),
        summary,
        instrument,
        construct=construct,
        better_when=better,
        comparisons=tuple(q.comparisons),
        favours=verdict,
        notes=tuple(notes),
    )


def _arm_roles(group: list[Row]) -> dict[str, list[Row]] | str:
    """Decides whether per-arm rows can be compared: exactly one comparator arm and at least one
    intervention arm (in id order), or why not."""
    roles: dict[str, list[Row]] = defaultdict(list)
    for r in sorted(group, key=lambda r: str(r.get("id"))):
        roles[str(r.get("arm_role"))].append(r)
    if len(roles["comparator"]) != 1 or not roles["intervention"] or set(roles) - {"intervention", "comparator"}:
        found = ", ".join(f"{len(v)} {k}" for k, v in sorted(roles.items()))
        return f"per-arm rows need one comparator arm and at least one intervention arm ({found})"
    return roles


def _arms_candidate(made: Estimate, roles: dict[str, list[Row]], how: str) -> _Candidate:
    """The estimate from per-arm rows labelled as the answer shows it: every source row's id and printed
    figure, the comparator arm's population, set, subgroup, time and drug, and how the arms were handled."""
    control = roles["comparator"][0]
    source = roles["intervention"] + [control]
    rid = "+".join(str(r.get("id")) for r in source)
    e = replace(
        made,
        result_id=rid,
        printed="; ".join(_printed(r) for r in source),
        analysis_population=str(control.get("analysis_population") or ""),
        analysis_set=str(control.get("analysis_set") or "not-stated"),
        subgroup=str(control.get("subgroup") or ""),
        time=_time(control),
        flags=tuple(dict.fromkeys(f for r in source for f in _flags(r))),
        drug=str(control.get("drug") or ""),
        arms=how,
    )
    return _Candidate(
        e, source, "+".join(str(r.get("arm") or "") for r in roles["intervention"]), str(control.get("arm") or "")
    )


def _arms_estimate(group: list[Row], family: str) -> _Candidate | str:
    """One estimate from per-arm rows at one time point: two arms as they are, several intervention
    arms against one comparator combined (Cochrane Handbook 6.5.2.10)."""
    roles = _arm_roles(group)
    if isinstance(roles, str):
        return roles
    arms = roles["intervention"]
    control = roles["comparator"][0]
    how = "two arms"
    if len(arms) > 1:
        combined = _combine_arms(arms, family)
        if isinstance(combined, str):
            return combined
        arms = [combined]
        how = (
            f"{len(roles['intervention'])} intervention arms combined (Cochrane Handbook 6.5.2.10) "
            f"against {control.get('arm') or 'the comparator'}"
        )
    made = estimate_from_arms([arms[0], control], family)
    if isinstance(made, str):
        return made
    return _arms_candidate(made, roles, how)


def _pooled_mean_sd(n_list: list[int], means: list[float | None], sds: list[float | None]) -> tuple[float, float]:
    """The mean and SD of several arms taken as one, pooled pairwise (Handbook 6.5.2.10)."""
    n1, m1, s1 = n_list[0], float(means[0] or 0), float(sds[0] or 0)
    for n2, m2, s2 in zip(n_list[1:], means[1:], sds[1:], strict=True):
        m2, s2 = float(m2 or 0), float(s2 or 0)
        total = n1 + n2
        var = ((n1 - 1) * s1**2 + (n2 - 1) * s2**2 + n1 * n2 / total * (m1 - m2) ** 2) / (total - 1)
        n1, m1, s1 = total, (n1 * m1 + n2 * m2) / total, math.sqrt(var)
    return m1, s1


def _combined_events(arms: list[Row]) -> int | str:
    """Decides the combined arms' event count (summed), or why they cannot be combined."""
    events = [as_count(a.get("events")) for a in arms]
    if any(e is None for e in events):
        return "arms cannot be combined: an intervention arm has no event count"
    return sum(e for e in events if e is not None)


def _combined_mean_sd(arms: list[Row], n_list: list[int]) -> tuple[float, float] | str:
    """Decides the combined arms' mean and SD, or why they cannot be combined (an arm without both)."""
    means = [as_number(a.get("value")) for a in arms]
    sds = [as_number(a.get("sd")) for a in arms]
    if any(m is None for m in means) or any(not s for s in sds):
        return "arms cannot be combined: an intervention arm has no mean or SD"
    return _pooled_mean_sd(n_list, means, sds)


def _combine_arms(arms: list[Row], family: str) -> Row | str:
    """Several intervention arms as one: events and n summed, or means and SDs pooled (Handbook 6.5.2.10)."""
    ns = [as_count(a.get("n")) for a in arms]
    if any(n is None or n == 0 for n in ns):
        return "arms cannot be combined: an intervention arm has no n"
    n_list = [n for n in ns if n is not None]
    merged: Row = {**arms[0], "arm": " + ".join(str(a.get("arm") or "?") for a in arms), "n": sum(n_list)}
    if family in {"risk-ratio", "odds-ratio"}:
        events = _combined_events(arms)
        if isinstance(events, str):
            return events
        merged["events"] = events
        return merged
    got = _combined_mean_sd(arms, n_list)
    if isinstance(got, str):
        return got
    merged.update(value=got[0], sd=got[1])
    return merged


def _chosen_time(cands: list[_Candidate], windowed: bool) -> tuple[float | None, str]:
    """Step 4a: decides the study's one time point (its primary endpoint when there, else the latest
    one) and the rule that chose it, as the answer prints it."""
    timed = [c for c in cands if c.days is not None]
    if any(c.primary for c in cands):
        when = next(c.days for c in sorted(cands, key=lambda c: (not c.primary, -(c.days or 0))))
        return when, "the study's primary endpoint" + (" inside the window" if windowed else " (no window asked)")
    if timed:
        where = "inside the window" if windowed else "reported"
        return max(
            c.days for c in timed if c.days is not None
        ), f"the latest time point {where} (no primary endpoint there)"
    return None, "no time point recorded"


def _one_control(here: list[_Candidate], drop: Any) -> list[_Candidate]:
    """Step 4b: decides the one comparator arm a study's contrasts are taken against (the one most
    intervention arms were compared with, then the best ranked); contrasts against another are dropped."""
    by_control: dict[str, list[_Candidate]] = defaultdict(list)
    for c in here:
        by_control[c.comparator_arm].append(c)
    control = min(
        by_control, key=lambda k: (-len({c.arm for c in by_control[k]}), min(c.rank() for c in by_control[k]))
    )
    for k, group in by_control.items():
        if k != control:
            for c in group:
                drop(
                    c,
                    f"another comparator arm of this study ({k or 'unnamed'}); "
                    f"{control or 'the comparator'} kept, so no arm counts twice",
                )
    return by_control[control]


def _best_per_arm(cands: list[_Candidate], drop: Any) -> list[_Candidate]:
    """Step 4c: decides one result per intervention arm (a reported contrast first, then analysis set,
    n and id); the same comparison reported again is dropped."""
    by_arm: dict[str, list[_Candidate]] = defaultdict(list)
    for c in cands:
        by_arm[c.arm].append(c)
    chosen: list[_Candidate] = []
    for arm in sorted(by_arm):
        best = min(by_arm[arm], key=_Candidate.rank)
        chosen.append(best)
        for c in by_arm[arm]:
            if c is not best:
                why = (
                    "a reported contrast is preferred"
                    if best.reported and not c.reported
                    else "analysis set, then n, then id"
                )
                drop(c, f"the same comparison again: {best.estimate.result_id} kept ({why})")
    return chosen


def _one_study(cands: list[_Candidate], windowed: bool, excluded: list[Exclusion]) -> list[Estimate]:
    """The study's estimate(s) at its chosen time point, each with the rule that chose it."""

    def drop(c: _Candidate, reason: str) -> None:
        excluded.extend(Exclusion(rid, c.estimate.study, reason) for rid in c.ids)

    when, time_rule = _chosen_time(cands, windowed)
    here = [c for c in cands if c.days == when]
    for c in cands:
        if c.days != when:
            drop(c, f"another time point of this study: {here[0].estimate.time} chosen ({time_rule})")

    # Arm-level data for several arms beat contrasts that would need their control split.
    combined = [c for c in here if "combined" in c.estimate.arms]
    if combined:
        best = min(combined, key=_Candidate.rank)
        for c in here:
            if c is not best:
                drop(c, f"multi-arm trial: represented by its combined arms {best.estimate.result_id}")
        return [replace(best.estimate, rule=f"{time_rule}; {best.estimate.arms}")]

    # Contrasts sharing one comparator arm; a second comparator arm of the same study is left out.
    chosen = _best_per_arm(_one_control(here, drop), drop)
    if len(chosen) == 1:
        e = chosen[0].estimate
        arms = e.arms or "two arms"
        return [replace(e, arms=arms, rule=f"{time_rule}; one result for this comparison")]
    return _split_control(chosen, time_rule, drop)


def _split_control(chosen: list[_Candidate], time_rule: str, drop: Any) -> list[Estimate]:
    """Several contrasts against one control arm: its n split evenly (Cochrane Handbook 23.3.4).

    One function although its cyclomatic complexity is 16: the fallback (no n to split, so one
    contrast is kept and the others are dropped with the reason) and the even split are the two
    halves of one Handbook rule, kept together so that the rule reads in one place.
    """
    m = len(chosen)
    sizes = [(as_count(c.rows[0].get("n_intervention")), as_count(c.rows[0].get("n_control"))) for c in chosen]
    if any(n1 is None or n2 is None or n1 == 0 or n2 == 0 for n1, n2 in sizes) or any(not c.reported for c in chosen):
        best = min(chosen, key=lambda c: (not c.primary, *c.rank()))
        for c in chosen:
            if c is not best:
                drop(
                    c,
                    "multi-arm trial: the shared control cannot be split without each arm's n; "
                    f"{best.estimate.result_id} kept",
                )
        return [
            replace(
                best.estimate,
                arms=f"1 of {m} arms against a shared control (no n to split it)",
                rule=f"{time_rule}; one contrast kept",
            )
        ]
    out = []
    for i, (c, (n1, n2)) in enumerate(zip(chosen, sizes, strict=True)):
        assert n1 is not None and n2 is not None
        inflate = (1 / n1 + m / n2) / (1 / n1 + 1 / n2)
        e = c.estimate
        out.append(
            replace(
                e,
                variance=e.variance * inflate,
                n=n1 + (n2 if i == 0 else 0),
                arms=f"{c.arm or 'arm'}; shared control {c.comparator_arm or '(unnamed)'}: "
                f"its n {n2} split in {m} (Cochrane Handbook 23.3.4)",
                rule=f"{time_rule}; multi-arm trial, contrasts only: shared control split",
            )
        )
    return out


def course(rows: Iterable[Mapping[str, Any]], q: Question) -> list[dict[str, Any]]:
    """The time course of an effect: every between-group result on ``q``'s condition and outcome
    that passes the same gates as pooling (sign recorded, whole population, comparison asked,
    verified unless asked), harmonized, at its time point in hours. Ratios come back on the ratio
    scale; ``family`` says which panel a point belongs to (one measure per panel)."""
    z = NormalDist().inv_cdf(0.5 + q.level / 200)
    points: list[dict[str, Any]] = []
    for raw in rows:
        row = normalise_row(raw)
        if (q.condition and row["condition"] != q.condition) or (q.outcome and row["outcome"] != q.outcome):
            continue
        family = FAMILY_OF_MEASURE.get(str(row.get("measure")))
        when = days(row)
        if family is None or row.get("arm_role") or when is None or when <= 0 or outside_selection(row, q):
            continue
        if _gate(row, q, family) is not None:
            continue
        got = classify_row(row, family)
        if not isinstance(got, Estimate):
            continue
        e = _harmonize(got, row, family)
        half = z * math.sqrt(e.variance)
        lo, hi = e.effect - half, e.effect + half
        back = math.exp if family in RATIOS else (lambda x: x)
        points.append(
            {
                "result": e.result_id,
                "study": e.study,
                "drug": e.drug,
                "family": family,
                "hours": when * 24,
                "effect": back(e.effect),
                "lower": back(lo),
                "upper": back(hi),
                "favours": favours(lo, hi, row.get("better_when")),
                "printed": e.printed,
            }
        )
    return sorted(points, key=lambda p: (p["family"], p["hours"], p["study"]))
