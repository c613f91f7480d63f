"""Issue 20: a hazard ratio on a time-to-event outcome reads the outcome's ``time_to_event`` fact.

A hazard ratio compares how fast an event comes: on time to relapse (better_when: higher, longer
is better) an HR below 1 (a lower hazard of relapse) favours the drug. Which outcomes are times to
an event is curated data (``time_to_event: true`` on the Outcome), no longer guessed from a slug
that starts with ``time-to-``; these tests fail if either the data or the code stops saying so.
"""

from __future__ import annotations

from types import SimpleNamespace

from ketamine_kg.build.evidence_summary import study_direction
from ketamine_kg.evidence.selection import Question, answer, normalise_row

SUSTAIN_1_HR = "res-sustain-1-relapse-hr-stable-remitters"
DAKWAR_HR = "res-dakwar-2019-relapse-hr"


def _hr_row(outcome: str, **extra: object) -> dict[str, object]:
    return {"id": "r", "study": "s", "outcome": outcome, "measure": "hazard-ratio", "value": 0.49, "ci_lower": 0.29,
            "ci_upper": 0.84, "ci_level": 95, "contrast_order": "intervention-over-comparator",
            "comparison": "inert-placebo", "endpoint_role": "primary", "better_when": "higher", "verified": True,
            "condition": "c", "drug": "d", **extra}  # fmt: skip


def test_the_curated_time_outcomes_say_they_time_an_event(curated) -> None:
    outcomes = [e for e in curated.entities if e.type == "Outcome"]
    timed = {e.id for e in outcomes if e.time_to_event}
    assert "time-to-relapse" in timed
    # Every outcome named as a time to something is marked, and only those (record by record).
    for e in outcomes:
        assert bool(e.time_to_event) == e.label.startswith("time to "), e.id


def test_the_fact_not_the_slug_turns_the_hazard_ratio() -> None:
    # The flag, from the row (SPARQL's camelCase as the pooling query gives it), decides.
    assert normalise_row(_hr_row("time-to-relapse", timeToEvent="true"))["better_when"] == "lower"
    assert normalise_row(_hr_row("days-to-relapse", time_to_event=True))["better_when"] == "lower"
    # A slug alone says nothing; a hazard ratio on the event itself keeps its better_when.
    assert normalise_row(_hr_row("time-to-relapse"))["better_when"] == "higher"
    assert normalise_row(_hr_row("relapse", better_when="lower"))["better_when"] == "lower"
    # Normalising twice changes nothing.
    once = normalise_row(_hr_row("time-to-relapse", timeToEvent="true"))
    assert normalise_row(once) == once


def test_the_build_reads_a_study_direction_from_the_fact() -> None:
    hr = SimpleNamespace(study="s", outcome="time-to-relapse", endpoint_role="primary", subgroup=None,
                         measure="hazard-ratio", contrast_order="intervention-over-comparator", value=0.49,
                         ci_lower=0.29, ci_upper=0.84, p_value=0.003)  # fmt: skip
    better_when = {"time-to-relapse": "higher"}
    assert study_direction([hr], better_when, {"time-to-relapse"}) == "favours drug"
    assert study_direction([hr], better_when) == "favours comparator"  # not marked: read as the time


def test_the_graphs_hazard_ratios_on_time_to_relapse_favour_the_drug(worker, layout) -> None:
    """SUSTAIN-1's stable remitters (HR 0.49, 0.29-0.84) and Dakwar 2019 (HR 0.47, 0.24-0.92), read
    from the built graph through queries/inputs/pooling-inputs.rq as `ketamine-kg pool` reads them."""
    text = (layout.root / "queries" / "inputs" / "pooling-inputs.rq").read_text(encoding="utf-8")
    result = worker.run(text)
    rows = [{v: t.value for v, t in zip(result.variables, row, strict=True) if t is not None} for row in result.rows]
    rows = [r for r in rows if r["id"].rsplit("/", 1)[-1] in (SUSTAIN_1_HR, DAKWAR_HR)]
    assert len(rows) == 2
    for row in rows:
        assert normalise_row(row)["better_when"] == "lower", row["id"]
    pooled = answer(rows, Question(measure="hazard-ratio", outcome="time-to-relapse", include_unverified=True))
    assert {e.result_id for e in pooled.included} >= {SUSTAIN_1_HR}
    assert all(e.favours == "drug" for e in pooled.included)
