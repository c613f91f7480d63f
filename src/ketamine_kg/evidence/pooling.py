"""Pool compatible results into one meta-analytic estimate (issue 9, "Evidence you can count").

Two layers, neither of which touches RDF:

- :func:`meta_analyse` pools effects with known variances. Fixed effect and DerSimonian-Laird come
  from ``statsmodels.stats.meta_analysis.combine_effects``; REML from PyMARE's
  ``VarianceBasedLikelihoodEstimator(method="REML")`` (statsmodels has no REML for this model);
  Paule-Mandel is solved here (:func:`paule_mandel_tau2`): statsmodels' iteration stops at a
  tau^2 of about -9e-16 on some inputs and then reports 0 while Q is far above k - 1.
- :func:`pool` turns hand-picked result rows (plain dicts shaped like the curated format's
  ``results``, joined with their study) into estimates on the analysis scale, values as printed,
  and keeps one per study. It is the arithmetic under the reproductions of published
  meta-analyses, whose authors chose the rows. Questions asked of the whole graph go through
  :func:`ketamine_kg.evidence.harmonize.answer`, which harmonizes signs, constructs, comparisons,
  analysis sets and multi-arm trials first. Every row either leaves out is returned with the
  reason; nothing is mixed or dropped silently.

Analysis scales: mean differences as reported (one instrument only); standardized mean
differences as reported, or Hedges' g from per-arm means/SDs/n (statsmodels ``effectsize_smd``)
where a study has exactly one intervention and one comparator arm with all three; risk, odds and
hazard ratios on the natural-log scale. A variance comes from a reported SE (not for ratios: the
scale of a ratio's SE is ambiguous), else from the CI at its stated level, else (risk and odds
ratios) from per-arm events/n (statsmodels ``effectsize_2proportions``; 0.5 is added to every cell
of a table that has a zero cell, and only then, as metafor's ``escalc`` does by default).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy, scipy and statsmodels load on first use: `ketamine-kg --help` stays fast
    import numpy as np

Row = Mapping[str, Any]

METHODS = ("reml", "dl", "pm", "fe")
METHOD_NAMES = {"reml": "REML", "dl": "DerSimonian-Laird", "pm": "Paule-Mandel", "fe": "fixed effect"}
# Poolable families, keyed by the measure a user asks for; ratios are pooled as logs.
FAMILY_OF_MEASURE = {
    "mean-difference": "mean-difference",
    "ls-mean-difference": "mean-difference",
    "smd": "smd",
    "smd-hedges-g": "smd",
    "smd-cohens-d": "smd",
    "risk-ratio": "risk-ratio",
    "odds-ratio": "odds-ratio",
    "hazard-ratio": "hazard-ratio",
}
FAMILIES = ("mean-difference", "smd", "risk-ratio", "odds-ratio", "hazard-ratio")
RATIOS = {"risk-ratio", "odds-ratio", "hazard-ratio"}
ARM_EVENT_MEASURES = {"response-rate", "remission-rate", "relapse-rate", "event-rate"}
ARM_MEAN_MEASURES = {"mean-change", "mean-score"}
META_DESIGNS = {"meta-analysis", "ipd-meta-analysis"}


class PoolingError(ValueError):
    """The inputs cannot be pooled as asked (unknown measure or method, fewer than two studies)."""


@dataclass(frozen=True)
class Estimate:
    """One study's effect on the analysis scale (log for ratios) with its variance."""

    result_id: str  # a result id, or "id-a+id-b" for a pair of per-arm rows
    study: str
    effect: float
    variance: float
    n: int | None
    derived_from: str  # "reported SE", "95% CI", "events/n per arm", "means/SDs/n per arm"
    instrument: str | None = None
    # Filled by the harmonizing layer (ketamine_kg.evidence.harmonize); empty for hand-picked rows.
    printed: str = ""  # the figure as the source printed it, with its contrast order
    analysis_population: str = ""  # the source's own words
    analysis_set: str = ""  # itt, mitt, ... (not-stated when the curation says nothing)
    subgroup: str = ""  # "" for the whole analysed population
    arms: str = ""  # how the arms were handled (two-arm, arms combined, shared control split)
    time: str = ""  # the time point, e.g. "24 hour from first-dose"
    rule: str = ""  # the rule that chose this row for its study
    flags: tuple[str, ...] = ()  # "unverified", "secondary copy"
    favours: str = ""  # drug, comparator or neither (its CI crosses no effect)
    drug: str = ""


@dataclass(frozen=True)
class Exclusion:
    result_id: str
    study: str | None
    reason: str


@dataclass(frozen=True)
class Summary:
    """A pooled estimate on the analysis scale; ``i2`` in percent, ``pi_*`` None when k < 3 or FE."""

    method: str
    level: float
    k: int
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    tau2: float
    i2: float
    q: float
    q_df: int
    q_p: float
    pi_lower: float | None
    pi_upper: float | None


@dataclass(frozen=True)
class Pooling:
    family: str
    method: str
    included: tuple[Estimate, ...]
    excluded: tuple[Exclusion, ...]
    summary: Summary | None  # None when fewer than two studies remain
    instrument: str | None = None
    # Filled by the harmonizing layer; None or empty for hand-picked rows.
    construct: str | None = None
    better_when: str | None = None  # lower or higher: which way is better on the pooled outcome
    comparisons: tuple[str, ...] = ()
    favours: str | None = None  # drug, comparator or neither, from the pooled CI and better_when
    notes: tuple[str, ...] = ()  # what the answer assumed or chose, in words

    @property
    def k_studies(self) -> int:
        return len({e.study for e in self.included})

    @property
    def log_scale(self) -> bool:
        return self.family in RATIOS

    @property
    def n_total(self) -> int:
        return sum(e.n for e in self.included if e.n is not None)

    @property
    def n_unknown(self) -> int:
        """How many included studies have no known sample size (they are not in ``n_total``)."""
        return len({e.study for e in self.included if e.n is None})


def meta_analyse(
    effects: Sequence[float], variances: Sequence[float], method: str = "reml", level: float = 95.0
) -> Summary:
    """Pool ``effects`` with their within-study ``variances``.

    The CI is Wald-type (normal quantile), as metafor's default. I^2 is Higgins & Thompson's
    tau^2 / (tau^2 + s^2) with s^2 the "typical" within-study variance, which is what metafor
    reports for every tau^2 estimator (and equals (Q - df) / Q for DerSimonian-Laird); for the
    fixed-effect model it is (Q - df) / Q. The prediction interval is Higgins, Thompson &
    Spiegelhalter (2009): estimate +/- t(k-2) * sqrt(tau^2 + SE^2), given only when k >= 3 and
    for random-effects methods.

    One function although its cyclomatic complexity is 17: four input guards and one branch per
    estimator, in the order of metafor's ``rma()``, so that each formula can be read top to bottom
    against metafor's documentation and the reproduction tests.
    """
    import numpy as np
    from scipy import stats
    from statsmodels.stats.meta_analysis import combine_effects

    if method not in METHODS:
        raise PoolingError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if not 0 < level < 100:
        raise PoolingError(f"confidence level must be between 0 and 100, not {level}")
    y = np.asarray(effects, dtype=float)
    v = np.asarray(variances, dtype=float)
    k = len(y)
    if k < 2 or len(v) != k:
        raise PoolingError(f"need at least two effects with one variance each (got {k} and {len(v)})")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise PoolingError("effects must be finite and variances finite and positive")
    # Its unused HKSJ SE is sqrt(negative) when DL's tau^2 < 0, and its I^2 divides by zero when Q = 0.
    with np.errstate(invalid="ignore", divide="ignore"):
        fit = combine_effects(y, v, method_re="dl")
    q = float(fit.q)
    q_p = float(fit.test_homogeneity().pvalue)
    # statsmodels (0.14, 0.15) leaves DerSimonian-Laird's tau^2 negative when Q < df and weights by
    # it; the estimator is truncated at zero, where the random-effects fit is the fixed-effect one.
    if method == "fe" or (method == "dl" and fit.tau2 <= 0):
        est, se, tau2 = float(fit.mean_effect_fe), float(fit.sd_eff_w_fe), 0.0
    elif method == "reml":
        est, se, tau2 = _reml(y, v)
    elif method == "pm":
        tau2 = paule_mandel_tau2(y, v)
        w = 1 / (v + tau2)
        est, se = float((w * y).sum() / w.sum()), float(math.sqrt(1 / w.sum()))
    else:
        est, se, tau2 = float(fit.mean_effect_re), float(fit.sd_eff_w_re), float(fit.tau2)
    i2 = (100 * float(fit.i2) if q > k - 1 else 0.0) if method == "fe" else _i2(tau2, v)
    z = NormalDist().inv_cdf(0.5 + level / 200)
    pi_lower = pi_upper = None
    if method != "fe" and k >= 3:
        half = float(stats.t.ppf(0.5 + level / 200, k - 2)) * math.sqrt(tau2 + se**2)
        pi_lower, pi_upper = est - half, est + half
    return Summary(
        METHOD_NAMES[method], level, k, est, se, est - z * se, est + z * se, tau2, i2, q, k - 1, q_p, pi_lower, pi_upper
    )


def generalized_q(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """Cochran's Q with random-effects weights 1 / (v_i + tau^2) (DerSimonian & Kacker 2007)."""
    w = 1 / (v + tau2)
    mu = (w * y).sum() / w.sum()
    return float((w * (y - mu) ** 2).sum())


def paule_mandel_tau2(y: np.ndarray, v: np.ndarray) -> float:
    """Paule-Mandel tau^2: the root of Q(tau^2) = k - 1, and 0 exactly when Q(0) <= k - 1.

    Q(tau^2) falls strictly as tau^2 grows, so the root is bracketed between 0 and a tau^2 doubled
    until Q drops below k - 1, and Brent's method finds it to 1e-12 (as metafor's "PM").
    """
    import numpy as np
    from scipy.optimize import brentq

    df = len(y) - 1
    if generalized_q(y, v, 0.0) <= df:
        return 0.0
    upper = max(float(np.var(y)), 1e-8)
    while generalized_q(y, v, upper) > df:
        upper *= 2
    return float(brentq(lambda t: generalized_q(y, v, t) - df, 0.0, upper, xtol=1e-12, maxiter=500))


def _reml(y: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    """REML estimate, its (uncorrected, "wald") SE and tau^2, from PyMARE."""
    import numpy as np
    from pymare import Dataset
    from pymare.estimators import VarianceBasedLikelihoodEstimator

    fitted = VarianceBasedLikelihoodEstimator(method="REML", small_sample_correction="wald").fit_dataset(
        Dataset(y=y, v=v)
    )
    res = fitted.summary()
    fe = res.get_fe_stats()
    return float(np.ravel(fe["est"])[0]), float(np.ravel(fe["se"])[0]), float(np.ravel(res.tau2)[0])


def _i2(tau2: float, v: np.ndarray) -> float:
    w = 1 / v
    s2 = (len(v) - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum())
    return float(100 * tau2 / (tau2 + s2))


def _checked_family(measure: str, method: str, level: float) -> str:
    """Decides whether the question can be pooled: the measure's family, or a PoolingError naming the
    measure, method or level that cannot be used."""
    family = FAMILY_OF_MEASURE.get(measure)
    if family is None:
        raise PoolingError(f"cannot pool {measure!r}; poolable measures: {', '.join(FAMILIES)}")
    if method not in METHODS:
        raise PoolingError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if not 0 < level < 100:
        raise PoolingError(f"confidence level must be between 0 and 100, not {level}")
    return family


def _row_estimates(rows: Iterable[Row], family: str, excluded: list[Exclusion]) -> list[Estimate]:
    """Decides each row's estimate: a contrast as read, per-arm rows grouped by study, outcome and time
    and paired, or the row excluded with why it gives none."""
    estimates: list[Estimate] = []
    arms: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for row in rows:
        rid, study = str(row.get("id") or "?"), row.get("study")
        got = classify_row(row, family)
        if isinstance(got, Estimate):
            estimates.append(got)
        elif got == "arm":
            key = (
                study,
                row.get("outcome"),
                row.get("instrument"),
                row.get("time_value"),
                row.get("time_unit"),
                row.get("time_from"),
            )
            arms[key].append(row)
        else:
            excluded.append(Exclusion(rid, study, got))
    for group in arms.values():
        got_pair = estimate_from_arms(group, family)
        if isinstance(got_pair, Estimate):
            estimates.append(got_pair)
        else:
            excluded += [Exclusion(str(r.get("id") or "?"), r.get("study"), got_pair) for r in group]
    return estimates


def _on_one_instrument(
    estimates: list[Estimate], instrument: str | None, excluded: list[Exclusion]
) -> tuple[list[Estimate], str | None]:
    """Decides the one instrument mean differences are pooled on (the asked one, else the one most
    estimates use); estimates on another are excluded."""
    if not estimates:
        return estimates, instrument
    counts: dict[str, int] = defaultdict(int)
    for e in estimates:
        counts[e.instrument or "?"] += 1
    instrument = instrument or min(counts, key=lambda name: (-counts[name], name))
    excluded += [
        Exclusion(e.result_id, e.study, f"different instrument: {e.instrument} (pooling {instrument})")
        for e in estimates
        if e.instrument != instrument
    ]
    return [e for e in estimates if e.instrument == instrument], instrument


def _one_per_study(estimates: list[Estimate], excluded: list[Exclusion]) -> tuple[Estimate, ...]:
    """Decides the one result per study (a reported contrast before one derived from arms, then the
    larger n, then the lower id); the rest are excluded as duplicates."""
    kept: dict[str, Estimate] = {}
    for e in sorted(estimates, key=lambda e: (e.derived_from.endswith("per arm"), -(e.n or 0), e.result_id)):
        if e.study in kept:
            excluded.append(
                Exclusion(e.result_id, e.study, f"duplicate study: {kept[e.study].result_id} already represents it")
            )
        else:
            kept[e.study] = e
    return tuple(sorted(kept.values(), key=lambda e: (e.study, e.result_id)))


def pool(
    rows: Iterable[Row], measure: str, method: str = "reml", level: float = 95.0, instrument: str | None = None
) -> Pooling:
    """Pool the rows that measure ``measure`` (a family name or a measure in it).

    Left out, each with its reason: rows of another measure family, rows of a meta-analysis,
    rows with no obtainable variance, mean differences on another instrument than ``instrument``
    (default: the instrument most rows use), and all but one result per study (kept: a reported
    contrast before one derived from arms, then the larger n, then the lower id).
    """
    family = _checked_family(measure, method, level)
    excluded: list[Exclusion] = []
    estimates = _row_estimates(rows, family, excluded)
    if family == "mean-difference":
        estimates, instrument = _on_one_instrument(estimates, instrument, excluded)
    included = _one_per_study(estimates, excluded)
    summary = None
    if len(included) >= 2:
        summary = meta_analyse([e.effect for e in included], [e.variance for e in included], method, level)
    return Pooling(
        family,
        METHOD_NAMES[method],
        included,
        tuple(sorted(excluded, key=lambda x: x.result_id)),
        summary,
        instrument if family == "mean-difference" else None,
    )


def classify_row(row: Row, family: str) -> Estimate | str:
    """An estimate; "arm" for a per-arm row to pair; otherwise the reason to leave the row out."""
    measure = row.get("measure")
    if not row.get("study"):
        return "no study"
    if row.get("design") in META_DESIGNS:
        return f"{row.get('design')}: a pooled result, not a study (pooling it would count its trials twice)"
    if row.get("arm_role"):
        wanted = (
            ARM_EVENT_MEASURES
            if family in {"risk-ratio", "odds-ratio"}
            else ARM_MEAN_MEASURES
            if family == "smd"
            else set()
        )
        if measure in wanted:
            return "arm"
        return f"per-arm {measure}: cannot give a {family}"
    got = FAMILY_OF_MEASURE.get(str(measure))
    if got is None:
        return f"measure {measure} cannot be pooled"
    if got != family:
        return f"different measure: {measure} (pooling {family})"
    return _from_contrast(row, family)


def _ci_variance(value: float, lower: float, upper: float, level: float | None, ratio: bool) -> tuple[float, str] | str:
    """Decides the variance a CI implies (on the log scale for a ratio) and how it was got, or why the
    CI cannot give one."""
    if level is None:
        return "CI without a stated level"
    if not 0 < level < 100:
        return f"CI level {level} is not a percentage"
    if not lower < upper or not lower <= value <= upper:
        return f"value {value} is not inside its CI [{lower}, {upper}]"
    lo, hi = (math.log(lower), math.log(upper)) if ratio else (lower, upper)
    z = NormalDist().inv_cdf(0.5 + level / 200)
    return ((hi - lo) / (2 * z)) ** 2, f"{level:g}% CI"


def _contrast_variance(
    value: float, se: float | None, lower: float | None, upper: float | None, level: float | None, ratio: bool
) -> tuple[float, str] | str:
    """Decides where a contrast's variance comes from: a reported SE (differences only, since a ratio's
    SE may be on either scale), else its CI; or why neither gives one."""
    if se is not None and not ratio:
        if se <= 0:
            return "SE must be positive"
        return se**2, "reported SE"
    if lower is None or upper is None:
        if se is not None:
            return "only an SE, and a ratio's SE may be on either scale: give the CI"
        return "no variance obtainable: neither SE nor CI"
    return _ci_variance(value, lower, upper, level, ratio)


def _from_contrast(row: Row, family: str) -> Estimate | str:
    value, se = as_number(row.get("value")), as_number(row.get("se"))
    lower, upper, level = as_number(row.get("ci_lower")), as_number(row.get("ci_upper")), as_number(row.get("ci_level"))
    if value is None:
        return "no value"
    ratio = family in RATIOS
    if ratio and (value <= 0 or (lower is not None and lower <= 0)):
        return "a ratio and its CI must be positive"
    n1, n2 = as_count(row.get("n_intervention")), as_count(row.get("n_control"))
    n = n1 + n2 if n1 is not None and n2 is not None else None
    instrument = str(row.get("instrument") or row.get("outcome") or "") or None

    def made(effect: float, variance: float, how: str) -> Estimate:
        return Estimate(str(row.get("id") or "?"), str(row["study"]), effect, variance, n, how, instrument)

    effect = math.log(value) if ratio else value
    got = _contrast_variance(value, se, lower, upper, level, ratio)
    if isinstance(got, str):
        return got
    return made(effect, *got)


def _arm_pair(group: list[Row]) -> tuple[Row, Row, int, int] | str:
    """Decides whether per-arm rows make one pair: exactly one intervention and one comparator arm, on
    one measure, each with an n; returns (intervention, comparator, n1, n2) or why not."""
    roles = defaultdict(list)
    for r in group:
        roles[r.get("arm_role")].append(r)
    if set(roles) != {"intervention", "comparator"} or len(roles["intervention"]) != 1 or len(roles["comparator"]) != 1:
        found = ", ".join(f"{len(v)} {k}" for k, v in sorted(roles.items(), key=str))
        return f"per-arm rows need exactly one intervention and one comparator arm ({found})"
    a, c = roles["intervention"][0], roles["comparator"][0]
    if a.get("measure") != c.get("measure"):
        return f"arms report different measures ({a.get('measure')}, {c.get('measure')})"
    n1, n2 = as_count(a.get("n")), as_count(c.get("n"))
    if n1 is None or n2 is None or n1 == 0 or n2 == 0:
        return "per-arm rows without n"
    return a, c, n1, n2


def _smd_from_arms(a: Row, c: Row, n1: int, n2: int) -> Estimate | str:
    """Decides the SMD (Hedges' g) of two arms from their means, SDs and n, or why there is none."""
    from statsmodels.stats.meta_analysis import effectsize_smd

    m1, m2, s1, s2 = (as_number(x) for x in (a.get("value"), c.get("value"), a.get("sd"), c.get("sd")))
    if m1 is None or m2 is None or not s1 or not s2:
        return "per-arm means without SDs: no SMD"
    g, var = effectsize_smd(m1, s1, n1, m2, s2, n2)
    return Estimate(
        f"{a.get('id')}+{c.get('id')}",
        str(a["study"]),
        float(g),
        float(var),
        n1 + n2,
        "means/SDs/n per arm",
        a.get("instrument") or a.get("outcome"),
    )


def _ratio_from_arms(a: Row, c: Row, n1: int, n2: int, family: str) -> Estimate | str:
    """Decides the log risk or odds ratio of two arms from their events and n (0.5 added only where a
    cell is zero), or why there is none."""
    import numpy as np
    from statsmodels.stats.meta_analysis import effectsize_2proportions

    e1, e2 = as_count(a.get("events")), as_count(c.get("events"))
    if e1 is None or e2 is None:
        return "per-arm rows without event counts"
    if not (0 <= e1 <= n1 and 0 <= e2 <= n2):
        return "events outside 0..n"
    if e1 + e2 == 0 or (e1 == n1 and e2 == n2):
        return "no contrast: events in no participant (or in all) of both arms"
    # statsmodels adds a float correction to every table, so add it only where a cell is zero.
    zero = 0 in (e1, n1 - e1, e2, n2 - e2)
    counts = (np.array([e1]), np.array([n1]), np.array([e2]), np.array([n2]))
    effect, var = effectsize_2proportions(*counts, statistic=family, zero_correction=0.5 if zero else None)
    return Estimate(
        f"{a.get('id')}+{c.get('id')}",
        str(a["study"]),
        float(effect[0]),
        float(var[0]),
        n1 + n2,
        "events/n per arm",
        a.get("instrument") or a.get("outcome"),
    )


def estimate_from_arms(group: list[Row], family: str) -> Estimate | str:
    pair = _arm_pair(group)
    if isinstance(pair, str):
        return pair
    a, c, n1, n2 = pair
    if family == "smd":
        return _smd_from_arms(a, c, n1, n2)
    return _ratio_from_arms(a, c, n1, n2, family)


def as_number(x: Any) -> float | None:
    if x is None or x == "" or isinstance(x, bool):
        return None
    try:
        out = float(x)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def as_count(x: Any) -> int | None:
    out = as_number(x)
    return int(out) if out is not None and out >= 0 and out == int(out) else None
