"""A rule-based, GRADE-style certainty for a pooled estimate or a single study's answer.

The rules are Pollock et al. 2016 (J Clin Epidemiol 70:106-110, "An algorithm was developed to
assign GRADE levels of evidence to comparisons within systematic reviews"; PMC4742519, Table 2),
with the two GRADE domains their algorithm leaves out (indirectness, publication bias) added as
fixed rules of our own. It is not a guideline panel's judgement: every rule below is mechanical.

Start: **high** when every study is a randomized trial; **low** otherwise (GRADE handbook 5.1).
Then, each domain moving the level down by the stated number of levels (the level floors at very
low), and each move recorded as a :class:`Reason` with the figures it rests on:

- **risk of bias** (Pollock): 1 level when under 75% of the participants are in trials at low risk
  of bias. A trial is *low* when a review's judgements for it are recorded in every domain of its
  tool (RoB 1: the seven domains; RoB 2: the overall judgement, or all five domains) and every one is
  ``low``. A trial with no judgement recorded counts as *not low* (Pollock: "if ROB for individual
  trials was not reported ... we assumed that less than 75% of participants had low ROB"), as does
  one with some domains missing.
- **inconsistency** (Pollock): 1 level when I^2 > 75%; none with one study.
- **imprecision** (Pollock): by participants: >= 200 none, 100-199 one level, 1-99 two levels.
  Studies whose n is unknown add nothing, and the reason says so.
- **indirectness** (ours): 1 level when the data say the population, intervention or comparator is
  unlike the question's (rows of a narrower condition rolled up into a broader one, active and inert
  placebo pooled as one, another drug form); never guessed.
- **publication bias** (ours): assessable only with k >= 10 studies (the threshold issue 17 set):
  1 level when Egger's regression test gives p < 0.10.

>>> rated = rate([StudyInput("a", 60, "low"), StudyInput("b", 90, None)], i2=80.0)
>>> rated.level
'very low'
>>> [(r.domain, r.levels) for r in rated.reasons]
[('risk-of-bias', 1), ('inconsistency', 1), ('imprecision', 1)]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "DOMAINS",
    "LEVELS",
    "RISK_OF_BIAS_DOMAINS",
    "Certainty",
    "Reason",
    "StudyInput",
    "egger_p",
    "rate",
    "rate_single_study",
    "risk_of_bias_by_study",
    "trial_risk_of_bias",
]

#: Certainty levels, lowest first (a level's index + 1 is its rank: very low 1 ... high 4).
LEVELS = ("very low", "low", "moderate", "high")
#: The GRADE domains a reason can name, in the order they are checked.
DOMAINS = ("risk-of-bias", "inconsistency", "imprecision", "indirectness", "publication-bias")
#: The domains a tool's judgements must cover for a trial to count as at low risk of bias.
RISK_OF_BIAS_DOMAINS: dict[str, frozenset[str]] = {
    "rob-1": frozenset(
        {
            "random-sequence-generation",
            "allocation-concealment",
            "blinding-participants-personnel",
            "blinding-outcome-assessment",
            "incomplete-outcome-data",
            "selective-reporting",
            "other-bias",
        }
    ),
    "rob-2": frozenset(
        {
            "randomization-process",
            "deviations-from-intended-interventions",
            "missing-outcome-data",
            "measurement-of-the-outcome",
            "selection-of-the-reported-result",
        }
    ),
}
#: Pollock's thresholds.
LOW_RISK_SHARE = 0.75
I2_LIMIT = 75.0
N_NO_DOWNGRADE = 200
N_ONE_LEVEL = 100
#: Publication bias is only assessed from this many studies on, and then by Egger's test at this p.
PUBLICATION_BIAS_MIN_K = 10
EGGER_P = 0.10


@dataclass(frozen=True)
class StudyInput:
    """One study in the answer: its participants (None when unknown), its risk of bias ("low", "not
    low", or None when no judgement is recorded) and whether it is a randomized trial."""

    study: str
    n: int | None
    risk_of_bias: str | None
    randomized: bool = True


@dataclass(frozen=True)
class Reason:
    """One domain that moved the certainty down: by how many levels, and why in words with figures."""

    domain: str
    levels: int
    text: str


@dataclass(frozen=True)
class Certainty:
    level: str
    reasons: tuple[Reason, ...]
    start: str = "high"
    start_reason: str = ""  # why it starts below high, in words; empty when it starts high

    @property
    def rank(self) -> int:
        """4 for high ... 1 for very low."""
        return LEVELS.index(self.level) + 1


def trial_risk_of_bias(judgements: Iterable[tuple[str, str, str]]) -> str | None:
    """One trial's risk of bias from its recorded (tool, domain, judgement) triples: "low", "not low",
    or None when nothing is recorded.

    >>> trial_risk_of_bias([("rob-2", "overall", "low")])
    'low'
    >>> trial_risk_of_bias([("rob-1", "random-sequence-generation", "low")])  # six domains missing
    'not low'
    >>> trial_risk_of_bias([]) is None
    True
    """
    got = list(judgements)
    if not got:
        return None
    by_tool: dict[str, dict[str, str]] = {}
    for tool, domain, judgement in got:
        by_tool.setdefault(tool, {})[domain] = judgement
    for tool, domains in sorted(by_tool.items()):
        if "overall" in domains:
            if domains["overall"] == "low":
                return "low"
            continue
        needed = RISK_OF_BIAS_DOMAINS.get(tool, frozenset())
        if needed and needed <= set(domains) and all(domains[d] == "low" for d in needed):
            return "low"
    return "not low"


def egger_p(effects: Sequence[float], variances: Sequence[float]) -> float:
    """Two-sided p of Egger's regression test: the intercept of the standard normal deviate
    (effect / SE) regressed on precision (1 / SE), by ordinary least squares, t with k - 2 df."""
    from scipy import stats

    k = len(effects)
    if k < 3 or len(variances) != k:
        raise ValueError("Egger's test needs at least three effects with one variance each")
    x = [1 / math.sqrt(v) for v in variances]
    y = [e / math.sqrt(v) for e, v in zip(effects, variances, strict=True)]
    mx, my = sum(x) / k, sum(y) / k
    sxx = sum((a - mx) ** 2 for a in x)
    slope = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True)) / sxx
    intercept = my - slope * mx
    residual = sum((b - intercept - slope * a) ** 2 for a, b in zip(x, y, strict=True)) / (k - 2)
    se = math.sqrt(residual * (1 / k + mx**2 / sxx))
    if se == 0:
        return 0.0 if intercept else 1.0
    return float(2 * stats.t.sf(abs(intercept / se), k - 2))


def _participants(studies: Sequence[StudyInput]) -> tuple[int, int]:
    known = sum(s.n for s in studies if s.n is not None)
    return known, sum(1 for s in studies if s.n is None)


def _risk_of_bias(studies: Sequence[StudyInput]) -> Reason | None:
    """Pollock: one level when under 75% of participants are in trials at low risk of bias (weighted by
    study where no study's n is known)."""
    weights = [(s, s.n) for s in studies if s.n is not None] or [(s, 1) for s in studies]
    total = sum(w for _, w in weights)
    low = sum(w for s, w in weights if s.risk_of_bias == "low")
    share = low / total if total else 0.0
    if share >= LOW_RISK_SHARE:
        return None
    unit = "participants" if any(s.n is not None for s in studies) else "studies (no n known)"
    head = f"{100 * share:.0f}% of {unit} ({low} of {total}) are in trials at low risk of bias (under 75%)"
    return Reason("risk-of-bias", 1, "; ".join([head, *_trials_by_judgement(studies)]))


def _trials_by_judgement(studies: Sequence[StudyInput]) -> list[str]:
    """The trials named by what was recorded of them: low, judged not low, or nothing recorded."""
    groups = (
        ("low", "low"),
        ("not low", "judged not low in at least one domain"),
        (None, "no risk-of-bias judgement recorded, counted as not low"),
    )
    parts = []
    for judgement, words in groups:
        named = sorted(s.study for s in studies if s.risk_of_bias == judgement)
        if named:
            parts.append(f"{words}: {', '.join(named)}")
    return parts


def _inconsistency(k: int, i2: float | None) -> Reason | None:
    if k < 2:
        return None
    if i2 is None:
        return Reason("inconsistency", 1, "I² not known, taken as over 75% (Pollock)")
    if i2 > I2_LIMIT:
        return Reason("inconsistency", 1, f"I² = {i2:.1f}% across {k} studies (over 75%)")
    return None


def _imprecision(studies: Sequence[StudyInput]) -> Reason | None:
    n, unknown = _participants(studies)
    if n >= N_NO_DOWNGRADE:
        return None
    levels = 1 if n >= N_ONE_LEVEL else 2
    band = "100-199" if levels == 1 else "under 100"
    extra = f" (+ {unknown} stud{'y' if unknown == 1 else 'ies'} whose n is unknown, not counted)" if unknown else ""
    return Reason("imprecision", levels, f"{n} participants{extra}: {band}, {levels} level{'s' * (levels > 1)}")


def _publication_bias(effects: Sequence[float] | None, variances: Sequence[float] | None) -> Reason | None:
    if not effects or not variances or len(effects) < PUBLICATION_BIAS_MIN_K:
        return None
    p = egger_p(effects, variances)
    if p < EGGER_P:
        return Reason("publication-bias", 1, f"Egger's test p = {p:.3f} (under 0.10) across {len(effects)} studies")
    return None


def rate(
    studies: Sequence[StudyInput],
    *,
    i2: float | None = None,
    indirectness: Sequence[str] = (),
    effects: Sequence[float] | None = None,
    variances: Sequence[float] | None = None,
) -> Certainty:
    """The certainty of an answer resting on ``studies``; ``i2`` in percent (ignored for one study);
    ``indirectness`` the reasons the data give that population, intervention or comparator differ
    from the question's; ``effects``/``variances`` per study, for Egger's test when k >= 10.

    >>> rate([StudyInput("a", 120, "low"), StudyInput("b", 100, "low")], i2=10.0).level
    'high'
    >>> rate([StudyInput("a", 60, "low"), StudyInput("b", 50, "low")], i2=0.0).reasons[0].text
    '110 participants: 100-199, 1 level'
    """
    if not studies:
        raise ValueError("a certainty needs at least one study")
    not_randomized = sorted(s.study for s in studies if not s.randomized)
    start = "low" if not_randomized else "high"
    start_reason = (
        f"starts low: not a randomized trial ({', '.join(not_randomized)}); GRADE starts such evidence at low"
        if not_randomized
        else ""
    )
    reasons = [
        r
        for r in (
            _risk_of_bias(studies),
            _inconsistency(len(studies), i2),
            _imprecision(studies),
            Reason("indirectness", 1, "; ".join(indirectness)) if indirectness else None,
            _publication_bias(effects, variances),
        )
        if r is not None
    ]
    down = sum(r.levels for r in reasons)
    level = LEVELS[max(0, LEVELS.index(start) - down)]
    return Certainty(level, tuple(reasons), start, start_reason)


def rate_single_study(
    study: str, n: int | None, risk_of_bias: str | None, *, randomized: bool = True, indirectness: Sequence[str] = ()
) -> Certainty:
    """The certainty of an answer from one study (k = 1): the same rules, with no inconsistency
    (Pollock: "if only one trial contributed to analysis, no downgrade") and no publication bias.

    >>> c = rate_single_study("zarate-2006", 18, "low")
    >>> c.level, [(r.domain, r.levels) for r in c.reasons]
    ('low', [('imprecision', 2)])
    """
    return rate([StudyInput(study, n, risk_of_bias, randomized)], indirectness=indirectness)


def risk_of_bias_by_study(records: Iterable[Mapping[str, str]]) -> dict[str, str | None]:
    """Each judged study's risk of bias from records with ``judged_study``, ``rob_tool``,
    ``bias_domain`` and ``judgement`` (the curated format's fields)."""
    triples: dict[str, list[tuple[str, str, str]]] = {}
    for r in records:
        triples.setdefault(r["judged_study"], []).append((r["rob_tool"], r["bias_domain"], r["judgement"]))
    return {study: trial_risk_of_bias(t) for study, t in sorted(triples.items())}
