"""Harms pool one adverse effect at a time: every harm is an adverse event on one outcome, so the
adverse effect (`kk:harm`) is part of what a pooled row measures, and dissociation never pools with
nausea. Checked against the curated per-arm counts."""

from __future__ import annotations

import json
import math

import pytest

from ketamine_kg.build.curation import Curation
from ketamine_kg.cli.main import main

KKR = "https://w3id.org/ketamine-kg/resource/"
HARM_QUESTION = ["pool", "--measure", "risk-ratio", "--outcome", "adverse-event-incidence",
                 "--drug", "esketamine-nasal-spray", "--format", "json"]  # fmt: skip


def _answer(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code = main([*HARM_QUESTION, *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def _ids(row: dict) -> list[str]:
    return [i.removeprefix(KKR) for i in str(row["result_id"]).split("+")]


@pytest.mark.parametrize("harm", ["dissociation", "increased-blood-pressure", "nausea"])
def test_a_harm_question_pools_only_that_harm_and_counts_each_trial_once(
    harm: str, capsys: pytest.CaptureFixture[str], curated: Curation
) -> None:
    got = _answer(capsys, "--harm", harm)
    by_id = {r.id: r for r in curated.results}
    studies = [row["study"] for row in got["included"]]
    assert len(studies) == len(set(studies)) == got["summary"]["k"] >= 2
    for row in got["included"]:
        for rid in _ids(row):
            assert by_id[rid].harm == harm, rid
    # Hand-computed from the curated counts: events over n per arm, dose arms added (Handbook 6.5.2.10).
    for row in got["included"]:
        arms = [by_id[rid] for rid in _ids(row)]
        drug = [a for a in arms if a.arm_role == "intervention"]
        comparator = [a for a in arms if a.arm_role == "comparator"]
        assert len(comparator) == 1 and drug
        e1, n1 = sum(a.events for a in drug), sum(a.n for a in drug)
        e0, n0 = comparator[0].events, comparator[0].n
        if e1 and e0:
            assert math.isclose(row["effect"], math.log((e1 / n1) / (e0 / n0)), rel_tol=1e-9), row["result_id"]
    # More events on the drug arm is the stated direction, so a ratio above 1 favours the comparator.
    summary = got["summary"]
    if summary["ci_lower"] > 0:
        assert summary["favours"] == "comparator"


def test_without_a_harm_the_answer_says_which_harm_it_pooled(capsys: pytest.CaptureFixture[str]) -> None:
    got = _answer(capsys)
    construct_notes = [n for n in got["notes"] if n.startswith("construct: adverse-event (")]
    assert construct_notes and "--harm" in construct_notes[0]
    harms = {n.split("(", 1)[1].split(")", 1)[0] for n in construct_notes[:1]}
    excluded_reasons = {x["reason"] for x in got["excluded"]}
    assert any(r.startswith("different construct: adverse-event (") for r in excluded_reasons)
    assert len(harms) == 1


def test_an_unknown_harm_is_one_line_naming_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*HARM_QUESTION, "--harm", "disociation"])
    err = capsys.readouterr().err
    assert code == 2 and "dissociation" in err and len(err.strip().splitlines()) == 1
