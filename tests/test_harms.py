"""Harms as data (issue 18, https://github.com/ketamine-kg issue tracker #18): the per-arm adverse-event
results are internally consistent, name their harm, and pool as risk ratios through the pooling engine.

Each check runs record by record over the curated harm results, so a failure names the record.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pytest

from ketamine_kg.build.curation import Curation
from ketamine_kg.evidence.selection import Question, answer

HARM_OUTCOME = "adverse-event-incidence"

# Harm entities with no standard identifier, each with the reason (known gaps, never skipped silently).
NO_IDENTIFIER = {
    "nasal-discomfort": "HPO (2025-01-16) has no nasal-discomfort term; MedDRA is licensed",
    "feeling-abnormal": "no HPO term for a non-specific 'feeling abnormal'",
    "feeling-of-relaxation": "no HPO term",
    "toothache": "no HPO term for toothache in hp.obo 2025-01-16",
    "viral-upper-respiratory-tract-infection": "HPO has only 'recurrent' infection terms",
    "discontinuation-due-to-adverse-event": "a trial event (a dropout), not a phenotype: HPO has no term for it",
}


# Figures printed by the source that do not equal its own counts (kept as printed, each with the reason).
PRINTED_PERCENT_DIFFERS = {
    "res-harm-winstock-2012-luts": "the abstract prints '26.6% (340)' of 1285 past-year users; 340/1285 is 26.5%",
}


def harm_results(cur: Curation) -> list[Any]:
    return [r for r in cur.results if r.harm]


def test_there_are_at_least_150_harm_rows_per_arm(curated: Curation) -> None:
    """Issue 18's floor: at least 150 arm-level harm rows across trials and labels."""
    rows = [r for r in harm_results(curated) if r.measure == "event-rate" and r.arm]
    assert len(rows) >= 150, len(rows)


@pytest.mark.parametrize("field", ["outcome", "measure", "arm", "n", "sources"])
def test_every_harm_result_has(field: str, curated: Curation) -> None:
    missing = [r.id for r in harm_results(curated) if not getattr(r, field)]
    assert not missing, f"harm results without {field}: {missing[:5]}"


def test_harm_results_count_events_in_an_arm(curated: Curation) -> None:
    """A harm is an event rate on the adverse-event-incidence outcome; events never exceed the arm."""
    bad = [
        r.id
        for r in harm_results(curated)
        if r.outcome != HARM_OUTCOME or r.measure != "event-rate" or (r.events is not None and not 0 <= r.events <= r.n)
    ]
    assert not bad, bad[:5]


def test_harm_percent_agrees_with_its_counts(curated: Curation) -> None:
    """The value is events/n as a percent (to 0.1) wherever both counts are curated."""
    bad = [
        (r.id, r.value, r.events, r.n)
        for r in harm_results(curated)
        if r.events is not None and abs(float(r.value) - 100 * r.events / r.n) > 0.051
    ]
    assert sorted(b[0] for b in bad) == sorted(PRINTED_PERCENT_DIFFERS), bad[:5]


def test_one_arm_has_one_size_per_study(curated: Curation) -> None:
    """Within one study, subgroup and time frame an arm has one n: a transcription slip in n shows up here."""
    sizes: dict[tuple[Any, ...], set[int]] = defaultdict(set)
    for r in harm_results(curated):
        sizes[(r.study, r.subgroup, r.arm, r.time_value, r.time_unit)].add(r.n)
    bad = {k: v for k, v in sizes.items() if len(v) > 1}
    assert not bad, bad


def test_comparative_harm_rows_come_in_arm_pairs(curated: Curation) -> None:
    """Every harm counted on a drug arm is also counted on the comparator arm of the same study."""
    roles: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    for r in harm_results(curated):
        if r.arm_role:
            roles[(r.study, r.harm, r.time_value)].add(r.arm_role)
    bad = {k: v for k, v in roles.items() if v != {"intervention", "comparator"}}
    assert not bad, list(bad)[:5]


def test_every_harm_entity_has_an_identifier_or_a_reason(curated: Curation) -> None:
    with_xref = {x.entity for x in curated.xrefs}
    harms = {e.id for e in curated.entities if e.type == "AdverseEffect"}
    assert set(NO_IDENTIFIER) <= harms, set(NO_IDENTIFIER) - harms
    missing = sorted(harms - with_xref - set(NO_IDENTIFIER))
    assert not missing, f"adverse effects without a standard identifier: {missing}"
    stale = sorted(set(NO_IDENTIFIER) & with_xref)
    assert not stale, f"listed as having no identifier but have one: {stale}"


def _rows_for(cur: Curation, harm: str) -> list[dict[str, Any]]:
    studies = {s.id: s for s in cur.studies}
    outcomes = {e.id: e for e in cur.entities if e.type == "Outcome"}
    out = []
    for r in harm_results(cur):
        if r.harm != harm:
            continue
        s = studies[r.study]
        out.append(
            {
                **{
                    k: getattr(r, k)
                    for k in (
                        "id",
                        "study",
                        "outcome",
                        "measure",
                        "arm",
                        "arm_role",
                        "value",
                        "n",
                        "events",
                        "time_value",
                        "time_unit",
                        "time_from",
                        "harm",
                        "verified",
                        "read_in",
                        "subgroup",
                        "comparison",
                        "analysis_set",
                    )
                },
                "outcome_construct": outcomes[r.outcome].measures,
                "better_when": outcomes[r.outcome].better_when,
                "condition": s.condition,
                "drug": s.drug,
                "route": s.route,
                "comparator_kind": s.comparator_kind,
                "design": s.design,
            }
        )
    return out


def test_dissociation_pools_as_a_risk_ratio(curated: Curation) -> None:
    """Per-arm dissociation counts pool as a risk ratio, drug over comparator; pooled label tables and
    pooled analyses are left out beside their trials, and a trial's pair gives the hand-computed log RR."""
    got = answer(
        _rows_for(curated, "dissociation"),
        Question(
            measure="risk-ratio", outcome=HARM_OUTCOME, drug="esketamine-nasal-spray", method="reml", harm="dissociation"
        ),
    )
    assert got.summary is not None and got.summary.estimate > 0  # more dissociation on esketamine
    by_study = {e.study: e for e in got.included}
    assert "study-spravato-label-trd-short-term" not in by_study and "study-aspire-pooled" not in by_study
    aspire = by_study["study-aspire-2"]
    assert aspire.effect == pytest.approx(math.log((44 / 114) / (9 / 113)), abs=1e-9)
