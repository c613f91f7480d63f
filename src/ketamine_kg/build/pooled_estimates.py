"""Pooled estimates computed at build time: one ``kk:PooledEstimate`` per drug form x condition x
construct (or harm) x comparison class x time window with at least two poolable studies, each with a
rule-based certainty (:mod:`ketamine_kg.evidence.certainty`) and its reasons.

The rows are the ones ``ketamine-kg pool`` reads (``queries/inputs/pooling-inputs.rq``, run on the
graph being built), and every pool is :func:`ketamine_kg.evidence.selection.answer`: the same
selection, harmonization and pooling rules as the command line, not a copy of them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef

from ketamine_kg.evidence.certainty import Certainty, StudyInput, rate, risk_of_bias_by_study
from ketamine_kg.evidence.harmonize import construct_key, resolved_comparison
from ketamine_kg.evidence.pooling import ARM_EVENT_MEASURES, ARM_MEAN_MEASURES, FAMILY_OF_MEASURE, Pooling
from ketamine_kg.evidence.selection import Question, answer, days, normalise_row
from ketamine_kg.rdf.vocabulary import KK, KKR
from ketamine_kg.schema.facts import meanings

__all__ = [
    "WINDOWS",
    "Pool",
    "pooled_estimate_graph",
    "pooled_estimates",
    "pooling_rows",
    "window_of",
]

#: The standard time windows: slug -> (lowest day, exclusive; highest day, inclusive; in words).
#: A time point belongs to the first window whose bounds hold it (a 36-hour result is in 2-to-7-days).
WINDOWS: dict[str, tuple[float | None, float | None, str]] = {
    "up-to-1-day": (None, 1.0, "up to 1 day"),
    "2-to-7-days": (1.0, 7.0, "2-7 days"),
    "8-to-28-days": (7.0, 28.0, "8-28 days"),
    "over-28-days": (28.0, None, "over 28 days"),
}
HARM_WINDOW = "reported-period"
#: The smallest step past a window's exclusive lower bound (the pooling's windows include both ends).
_AFTER = 1e-9
#: Rounding of every decimal written, so the bytes are the same on every build.
_DIGITS = 6
#: Continuous families tried for a construct's severity pool, and event families for an event outcome
#: (the first that pools the most studies wins; ties go to the earlier).
_CONTINUOUS = ("mean-difference", "smd")
_EVENTS = ("risk-ratio", "odds-ratio", "hazard-ratio")
_META = {"meta-analysis", "ipd-meta-analysis"}


def window_of(day: float | None) -> str | None:
    """The standard window a time point (in days) falls in, or None without a time point.

    >>> window_of(1.0), window_of(1.5), window_of(28.0), window_of(29)
    ('up-to-1-day', '2-to-7-days', '8-to-28-days', 'over-28-days')
    """
    if day is None:
        return None
    for slug, (low, high, _) in WINDOWS.items():
        if (low is None or day > low) and (high is None or day <= high):
            return slug
    return None


def pooling_rows(store: Any, query_text: str) -> list[dict[str, Any]]:
    """The pooling's input rows from a pyoxigraph store, as ``ketamine-kg pool`` reads them."""
    solutions = store.query(query_text)
    names = [v.value for v in solutions.variables]
    return [{n: t.value for n, t in zip(names, row, strict=True) if t is not None} for row in solutions]


@dataclass(frozen=True)
class Pool:
    """One question the build asks, and its answer."""

    drug: str
    condition: str
    construct: str
    harm: str | None
    outcome: str | None  # an event outcome pooled on its own (response, remission...); None for severity
    comparison: str
    window: str
    pooling: Pooling
    certainty: Certainty
    studies: tuple[StudyInput, ...]
    comparator_risk: float | None  # events / n over the included comparator arms, when all have counts

    @property
    def slug(self) -> str:
        what = self.harm or self.construct
        if self.outcome:
            what += f"-{self.outcome}"
        return f"pooled-{self.drug}-{self.condition}-{what}-{self.comparison}-{self.window}"


def _question(
    family: str, drug: str, condition: str, construct: str, harm: str | None, outcome: str | None, cls: str, window: str
) -> Question:
    low, high = (None, None) if window == HARM_WINDOW else WINDOWS[window][:2]
    return Question(
        measure=family,
        condition=condition,
        drug=drug,
        outcome=outcome,
        construct=construct,
        harm=harm,
        comparisons=(cls,),
        time_min_days=None if low is None else low + _AFTER,
        time_max_days=high,
    )


def _cells(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[Any, ...], set[str]]:
    """Every question worth asking, from the rows a pool could use: (drug, condition, construct, harm,
    event outcome or None, comparison class, window) -> the measure families its rows carry."""
    cells: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    for row in rows:
        found = _cell_of(row)
        if found is not None:
            cells[found[0]].update(found[1])
    return cells


def _cell_of(row: Mapping[str, Any]) -> tuple[tuple[Any, ...], tuple[str, ...]] | None:
    """The question one row could answer and the measure families it could be pooled as, or None for
    a row no pool takes (a meta-analysis, no construct or comparison, a measure or time outside any)."""
    if row.get("design") in _META or not row.get("drug") or not row.get("condition"):
        return None
    key = construct_key(row)
    comparison = resolved_comparison(row)
    if key is None or comparison is None:
        return None
    harm = row.get("harm")
    measure = str(row.get("measure"))
    family = FAMILY_OF_MEASURE.get(measure)
    events = measure in ARM_EVENT_MEASURES or family in _EVENTS
    if family is None and not (measure in ARM_EVENT_MEASURES or measure in ARM_MEAN_MEASURES):
        return None
    window = HARM_WINDOW if harm else window_of(days(row))
    if window is None:
        return None
    outcome = None if harm or not events else row.get("outcome")
    construct = key.split(" (", 1)[0]
    return (row["drug"], row["condition"], construct, harm, outcome, comparison, window), (
        _EVENTS if events else _CONTINUOUS
    )


def _best(questions: Iterable[Question], rows: Sequence[Mapping[str, Any]]) -> Pooling | None:
    """The answer that pools the most studies (the earlier family on a tie), or None when none pools two."""
    best: Pooling | None = None
    for q in questions:
        got = answer(rows, q)
        if got.summary is not None and (best is None or got.k_studies > best.k_studies):
            best = got
    return best


def _study_inputs(p: Pooling, rob: Mapping[str, str | None], designs: Mapping[str, str]) -> tuple[StudyInput, ...]:
    n_by_study: dict[str, int | None] = {}
    for e in p.included:
        if e.study in n_by_study and n_by_study[e.study] is None:
            continue
        n_by_study[e.study] = None if e.n is None else (n_by_study.get(e.study) or 0) + e.n
    return tuple(
        StudyInput(s, n, rob.get(s), designs.get(s) == "randomized-controlled-trial")
        for s, n in sorted(n_by_study.items())
    )


def _comparator_risk(p: Pooling, rows_by_id: Mapping[str, Mapping[str, Any]]) -> float | None:
    """The comparator arms' risk (events / n summed over the included studies), when every included
    estimate came from per-arm counts; None otherwise."""
    if p.family not in ("risk-ratio", "odds-ratio"):
        return None
    events = total = 0
    for e in p.included:
        arms = [rows_by_id.get(rid) for rid in e.result_id.split("+")]
        controls = [a for a in arms if a is not None and a.get("arm_role") == "comparator"]
        if len(controls) != 1 or controls[0].get("events") is None or not controls[0].get("n"):
            return None
        events += int(controls[0]["events"])
        total += int(controls[0]["n"])
    return events / total if total else None


def pooled_estimates(rows: Sequence[Mapping[str, Any]], risk_of_bias: Iterable[Mapping[str, str]] = ()) -> list[Pool]:
    """Every pool with at least two studies, in a fixed order, each with its certainty."""
    normal = [normalise_row(r) for r in rows]
    rows_by_id = {str(r["id"]): r for r in normal}
    designs = {str(r["study"]): str(r.get("design")) for r in normal}
    rob = risk_of_bias_by_study(risk_of_bias)
    # A question names its drug form and condition, so only their rows can answer it (the rest would
    # be dropped or listed as outside the selection, never included): asking each with them is faster.
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in normal:
        by_pair[(str(r.get("drug")), str(r.get("condition")))].append(r)
    pools: list[Pool] = []
    for cell, families in sorted(_cells(normal).items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        pool = _pool_cell(cell, families, by_pair[(cell[0], cell[1])], rob, designs, rows_by_id)
        if pool is not None:
            pools.append(pool)
    return pools


def _pool_cell(
    cell: tuple[Any, ...],
    families: set[str],
    rows: Sequence[Mapping[str, Any]],
    rob: Mapping[str, str | None],
    designs: Mapping[str, str],
    rows_by_id: Mapping[str, Mapping[str, Any]],
) -> Pool | None:
    """One question's pool with its certainty, or None when no measure family pools two studies."""
    drug, condition, construct, harm, outcome, cls, window = cell
    order = [f for f in (_EVENTS if outcome or harm else _CONTINUOUS) if f in families]
    questions = (_question(f, drug, condition, construct, harm, outcome, cls, window) for f in order)
    got = _best(questions, rows)
    if got is None or got.summary is None:
        return None
    studies = _study_inputs(got, rob, designs)
    certainty = rate(
        studies,
        i2=got.summary.i2,
        effects=[e.effect for e in got.included],
        variances=[e.variance for e in got.included],
    )
    return Pool(drug, condition, construct, harm, outcome, cls, window, got, certainty, studies,
                _comparator_risk(got, rows_by_id))  # fmt: skip


# --- as triples -----------------------------------------------------------------------------------

_CERTAINTY_NODES = {
    "high": KK.CertaintyHigh,
    "moderate": KK.CertaintyModerate,
    "low": KK.CertaintyLow,
    "very low": KK.CertaintyVeryLow,
}


def _dec(x: float) -> Literal:
    value = round(float(x), _DIGITS)
    return Literal(f"{0.0 if value == 0 else value:.{_DIGITS}f}", datatype=XSD.decimal)


def _on_scale(p: Pooling, x: float) -> float:
    return math.exp(x) if p.log_scale else x


def _label(pool: Pool, labels: Mapping[str, str]) -> str:
    what = labels.get(pool.harm, pool.harm) if pool.harm else None
    if what is None and pool.outcome:
        what = f"{labels.get(pool.outcome, pool.outcome)} ({pool.construct.replace('-', ' ')})"
    if what is None:
        what = f"{pool.construct.replace('-', ' ').replace('symptoms', 'symptom')} severity"
    when = "the reported period" if pool.window == HARM_WINDOW else WINDOWS[pool.window][2]
    return (
        f"{labels.get(pool.drug, pool.drug)} vs {pool.comparison.replace('-', ' ')}, "
        f"{labels.get(pool.condition, pool.condition)}: {what}, {when}"
    )


def _absolute(out: Graph, node: URIRef, pool: Pool) -> None:
    """Per 1,000: the comparator risk, and the drug's risk minus it at the estimate and CI bounds."""
    cr = pool.comparator_risk
    s = pool.pooling.summary
    if cr is None or s is None:
        return

    def risk(log_ratio: float) -> float:
        ratio = math.exp(log_ratio)
        if pool.pooling.family == "odds-ratio":
            return ratio * cr / (1 - cr + ratio * cr)
        return min(1.0, ratio * cr)

    out.add((node, KK.comparatorRiskPer1000, _dec(1000 * cr)))
    out.add((node, KK.absoluteEffectPer1000, _dec(1000 * (risk(s.estimate) - cr))))
    out.add((node, KK.absoluteCiLowerPer1000, _dec(1000 * (risk(s.ci_lower) - cr))))
    out.add((node, KK.absoluteCiUpperPer1000, _dec(1000 * (risk(s.ci_upper) - cr))))


def _add_pool(out: Graph, pool: Pool, labels: Mapping[str, str]) -> None:
    p, s = pool.pooling, pool.pooling.summary
    assert s is not None
    node = KKR[pool.slug]
    integer = XSD.integer
    out.add((node, RDF.type, KK.PooledEstimate))
    out.add((node, RDFS.label, Literal(_label(pool, labels))))
    out.add((node, KK.drug, KKR[pool.drug]))
    out.add((node, KK.condition, KKR[pool.condition]))
    out.add((node, KK.construct, Literal(pool.construct)))
    if pool.harm:
        out.add((node, KK.harm, KKR[pool.harm]))
    if pool.outcome:
        out.add((node, KK.outcome, KKR[pool.outcome]))
    out.add((node, KK.comparisonClass, Literal(pool.comparison)))
    out.add((node, KK.timeWindow, Literal(pool.window)))
    out.add((node, KK.measure, URIRef(meanings("Measure")[p.family])))
    out.add((node, KK.pooledStudyCount, Literal(p.k_studies, datatype=integer)))
    out.add((node, KK.participantCount, Literal(p.n_total, datatype=integer)))
    if p.n_unknown:
        out.add((node, KK.unknownSizeStudyCount, Literal(p.n_unknown, datatype=integer)))
    out.add((node, KK.value, _dec(_on_scale(p, s.estimate))))
    out.add((node, KK.ciLower, _dec(_on_scale(p, s.ci_lower))))
    out.add((node, KK.ciUpper, _dec(_on_scale(p, s.ci_upper))))
    out.add((node, KK.tau2, _dec(s.tau2)))
    out.add((node, KK.i2, _dec(s.i2)))
    if s.pi_lower is not None and s.pi_upper is not None:
        out.add((node, KK.predictionLower, _dec(_on_scale(p, s.pi_lower))))
        out.add((node, KK.predictionUpper, _dec(_on_scale(p, s.pi_upper))))
    out.add((node, KK.poolingMethod, Literal(s.method)))
    out.add((node, KK.favours, Literal(p.favours or "neither")))
    for e in p.included:
        ids = e.result_id.split("+")
        inclusion = KKR[f"{pool.slug}-inclusion-{ids[0]}"]
        out.add((node, KK.inclusion, inclusion))
        out.add((inclusion, RDF.type, KK.PooledInclusion))
        rule = e.rule if not e.arms or e.arms in e.rule else f"{e.rule}; arms: {e.arms}"
        out.add((inclusion, KK.selectionRule, Literal(rule)))
        for rid in ids:
            out.add((node, KK.includesResult, KKR[rid]))
            out.add((inclusion, KK.includedResult, KKR[rid]))
    out.add((node, KK.certainty, _CERTAINTY_NODES[pool.certainty.level]))
    out.add((node, KK.certaintyStart, _CERTAINTY_NODES[pool.certainty.start]))
    if pool.certainty.start_reason:
        out.add((node, RDFS.comment, Literal(pool.certainty.start_reason)))
    for reason in pool.certainty.reasons:
        r = KKR[f"{pool.slug}-reason-{reason.domain}"]
        out.add((node, KK.certaintyReason, r))
        out.add((r, RDF.type, KK.CertaintyReason))
        out.add((r, KK.certaintyDomain, Literal(reason.domain)))
        out.add((r, KK.downgradeLevels, Literal(reason.levels, datatype=integer)))
        out.add((r, RDFS.comment, Literal(reason.text)))
    _absolute(out, node, pool)


def pooled_estimate_graph(curation: Any, rows: Sequence[Mapping[str, Any]]) -> Graph:
    """The pooled estimates as triples (the same bytes every build: sorted questions, rounded figures)."""
    labels = {e.id: e.label for e in curation.entities}
    judgements = [
        {"judged_study": j.judged_study, "rob_tool": j.rob_tool, "bias_domain": j.bias_domain, "judgement": j.judgement}
        for j in getattr(curation, "risk_of_bias", [])
    ]
    out = Graph()
    for pool in pooled_estimates(rows, judgements):
        _add_pool(out, pool, labels)
    return out


def query_file(root: Path) -> Path:
    """The pooling's input query, which ``ketamine-kg pool`` runs too."""
    return root / "queries" / "inputs" / "pooling-inputs.rq"
