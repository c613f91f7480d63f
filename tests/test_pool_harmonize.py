"""Issue 16: pooled answers a meta-analyst can trust, on a made-up curation
(tests/evidence-curation/: every figure invented) so the rules are tested whatever the real
data holds. Each fixture study tests one rule; see the header of pooling.yaml."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from ketamine_kg.cli.pool import load_rows
from ketamine_kg.cli.pool import main as pool_main
from ketamine_kg.evidence.harmonize import answer, favours
from ketamine_kg.evidence.pooling import meta_analyse
from ketamine_kg.evidence.selection import Question

FIXTURE = Path(__file__).parent / "evidence-curation"
FILES = sorted(FIXTURE.glob("*.yaml"))
DAY1 = {"measure": "mean-difference", "outcome": "madrs", "time_max_days": 1.0}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return load_rows(FILES)


def why(p: Any) -> dict[str, str]:
    return {x.result_id: x.reason for x in p.excluded}


def test_a_sign_printed_comparator_minus_drug_is_flipped_and_the_printed_value_kept(rows) -> None:
    p = answer(rows, Question(**DAY1, drug="ketamine"))
    got = {e.result_id: e for e in p.included}
    pos = got["res-fixture-pos-madrs-24h"]
    assert pos.effect == -9.0 and pos.printed.startswith("9.0 (95% CI 5.0 to 13.0) [comparator-minus-intervention]")
    assert pos.favours == "drug"
    assert math.sqrt(pos.variance) == pytest.approx(8.0 / (2 * 1.959963984540054))
    assert got["res-fixture-rct-madrs-day1"].effect == -7.95  # printed drug minus comparator: kept
    # Every pooled MADRS effect now runs the same way, and the answer says which way is better.
    assert p.favours == "drug" and p.summary is not None and p.summary.ci_upper < 0
    assert "effects are drug minus comparator; better when lower, so negative favours the drug" in p.notes


def test_not_stated_unverified_subgroup_and_other_comparisons_are_left_out_with_why(rows) -> None:
    p = answer(rows, Question(**DAY1, drug="ketamine"))
    reasons = why(p)
    assert reasons["res-fixture-notstated-madrs-24h"] == (
        "the source does not state which way its figure runs (contrast_order not-stated)"
    )
    assert reasons["res-fixture-unverified-madrs-24h"].startswith("unverified figure (verified: false)")
    assert reasons["res-fixture-pos-madrs-24h-old"].startswith("subgroup 'aged 65-74': only whole analysed populations")
    assert reasons["res-fixture-cbt-madrs-24h"].startswith("comparison co-intervention, not asked")
    assert all(e.subgroup == "" for e in p.included)


def test_include_unverified_adds_them_marked_and_a_subgroup_only_when_asked(rows) -> None:
    p = answer(rows, Question(**DAY1, drug="ketamine", include_unverified=True))
    got = {e.result_id: e for e in p.included}
    assert got["res-fixture-unverified-madrs-24h"].flags == ("unverified",)
    assert "unverified and secondary-copy figures included, marked in each row" in p.notes
    sub = answer(rows, Question(**DAY1, subgroup="aged 65-74"))
    assert [e.result_id for e in sub.included] == ["res-fixture-pos-madrs-24h-old"]
    assert sub.included[0].subgroup == "aged 65-74" and sub.included[0].effect == -12.0


def test_comparison_classes_are_asked_for_and_the_default_is_said(rows) -> None:
    p = answer(rows, Question(**DAY1))
    assert p.notes[0] == "comparison: drug against inert-placebo, active-placebo (the default: placebo, inert or active)"
    cbt = answer(rows, Question(**DAY1, comparisons=("co-intervention",)))
    assert [e.result_id for e in cbt.included] == ["res-fixture-cbt-madrs-24h"] and cbt.summary is None


def test_a_three_arm_trial_with_contrasts_only_splits_its_shared_control(rows) -> None:
    p = answer(rows, Question(**DAY1, drug="ketamine"))
    arms = [e for e in p.included if e.study == "study-fixture-three-arm"]
    assert len(arms) == 2
    for e in arms:
        se_printed = 4.0 / 1.959963984540054  # CI half-width 4 on both contrasts
        # control n 30 split in 2: var * (1/30 + 2/30) / (1/30 + 1/30)
        assert e.variance == pytest.approx(se_printed**2 * 1.5)
        assert "split in 2 (Cochrane Handbook 23.3.4)" in e.arms and "shared control split" in e.rule
    # the control's 30 are counted once: 30 + 30 + 30
    assert sum(e.n or 0 for e in arms) == 90


def test_a_three_arm_trial_with_arm_counts_combines_its_arms(rows) -> None:
    p = answer(rows, Question(measure="risk-ratio", outcome="response", time_max_days=1.0))
    (e,) = [e for e in p.included if e.study == "study-fixture-arm-counts"]
    # Handbook 6.5.2.10: 12/30 + 18/30 = 30/60 against 6/30 -> RR 2.5
    assert e.effect == pytest.approx(math.log((30 / 60) / (6 / 30)))
    assert e.n == 90 and "2 intervention arms combined (Cochrane Handbook 6.5.2.10)" in e.arms
    assert e.favours == "drug"  # more responders is better


def test_constructs_never_mix_and_the_choice_is_said(rows) -> None:
    p = answer(rows, Question(measure="risk-ratio", outcome="response", time_max_days=1.0))
    assert p.construct == "depressive-symptoms"
    reasons = why(p)
    assert reasons["res-fixture-pos-ssi-response-day1-intervention"] == (
        "different construct: suicidal-ideation (pooling depressive-symptoms)"
    )
    assert any(n.startswith("construct: depressive-symptoms, the one most rows measure; also found: suicidal-ideation") for n in p.notes)
    si = answer(rows, Question(measure="risk-ratio", outcome="response", time_max_days=1.0, construct="suicidal-ideation"))
    assert [e.study for e in si.included] == ["study-fixture-positive-sign"]
    assert si.better_when == "higher"  # more responders is better, whatever the scale


def test_one_time_point_per_study_and_without_a_window_only_primary_endpoints(rows) -> None:
    week = answer(rows, Question(measure="mean-difference", outcome="madrs", drug="ketamine", time_max_days=7.0))
    got = {e.study: e for e in week.included}
    assert got["study-fixture-positive-sign"].result_id == "res-fixture-pos-madrs-24h"  # its primary endpoint
    assert why(week)["res-fixture-pos-madrs-day7"].startswith("another time point of this study: 24 hour from first-dose")
    plain = answer(rows, Question(measure="mean-difference", outcome="madrs", drug="ketamine"))
    assert "no time window asked: each study's primary endpoint (endpoint_role primary) is used" in plain.notes
    assert why(plain)["res-fixture-pos-madrs-day7"].startswith("no time window asked: not the study's primary endpoint")
    assert all("primary endpoint (no window asked)" in e.rule for e in plain.included)


def test_favours_follows_the_ci_and_which_way_is_better() -> None:
    assert favours(-3.0, -1.0, "lower") == "drug" and favours(-3.0, -1.0, "higher") == "comparator"
    assert favours(0.2, 0.9, "higher") == "drug" and favours(-1.0, 2.0, "lower") == "neither"
    assert favours(-3.0, -1.0, None) == "neither"


def test_drug_forms_mixed_are_said(rows) -> None:
    p = answer(rows, Question(**DAY1))
    assert "drug forms pooled together: esketamine-nasal-spray, ketamine (ask for one with --drug)" in p.notes
    one = answer(rows, Question(**DAY1, drug="esketamine-nasal-spray"))
    assert {e.drug for e in one.included} == {"esketamine-nasal-spray"} and not any("drug forms" in n for n in one.notes)


def test_json_names_every_rows_population_subgroup_arms_time_and_rule(capsys) -> None:
    argv = [*map(str, FILES), "--measure", "mean-difference", "--outcome", "madrs", "--drug", "ketamine",
            "--time-max", "1", "--format", "json"]  # fmt: skip
    assert pool_main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    s = got["summary"]
    for key in ("estimate", "ci_lower", "ci_upper", "tau2", "i2", "prediction_interval", "favours", "k", "n", "n_unknown_count"):
        assert key in s, key
    assert s["favours"] == "drug" and s["k"] == 3 and s["k_effects"] == 4 and s["n"] == 40 + 50 + 90
    again = meta_analyse([r["effect"] for r in got["included"]], [r["variance"] for r in got["included"]])
    assert s["estimate"] == pytest.approx(again.estimate) and s["tau2"] == pytest.approx(again.tau2)
    pos = next(r for r in got["included"] if r["result_id"] == "res-fixture-pos-madrs-24h")
    assert pos["effect"] == -9.0 and pos["printed"].startswith("9.0 ")
    assert pos["analysis_population"] == "all randomized with a dose and one rating" and pos["analysis_set"] == "mitt"
    assert pos["subgroup"] == "" and pos["time_point"] == "24 hour from first-dose" and pos["arm_handling"] == "two arms"
    assert pos["rule"] == "the study's primary endpoint inside the window; one result for this comparison"
    assert {r["result_id"] for r in got["excluded"]} >= {"res-fixture-notstated-madrs-24h", "res-fixture-unverified-madrs-24h"}
    assert got["includes_unverified"] is False


def test_include_unverified_is_marked_in_text_and_json(capsys) -> None:
    base = [*map(str, FILES), "--measure", "mean-difference", "--outcome", "madrs", "--drug", "ketamine", "--time-max", "1"]
    assert pool_main([*base, "--include-unverified"]) == 0
    out = capsys.readouterr().out
    assert "unverified and secondary-copy figures included, marked in each row" in out
    assert "res-fixture-unverified-madrs-24h  (study-fixture-unverified)  [unverified]" in out
    assert pool_main([*base, "--include-unverified", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["includes_unverified"] is True
    assert next(r for r in got["included"] if r["study"] == "study-fixture-unverified")["flags"] == ["unverified"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--outcome", "madr"], "no result has outcome 'madr' (closest: madrs"),
        (["--outcome", "madrs", "--condition", "treatment-resistant-depresion"], "closest: treatment-resistant-depression"),
        (["--outcome", "ssi"], "no result has outcome 'ssi' (known: madrs, response)"),
        (["--outcome", "madrs", "--time-min", "3", "--time-max", "1"], "--time-min is after --time-max"),
        (["--outcome", "madrs", "--construct", "craving"], "no result has construct 'craving'"),
    ],
)
def test_a_selection_that_matches_nothing_exits_2_in_one_line(extra: list[str], message: str, capsys) -> None:
    assert pool_main([*map(str, FILES), "--measure", "mean-difference", *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1 and message in captured.err


def test_the_graph_path_gives_the_same_answer_as_the_curated_files(tmp_path: Path, rows) -> None:
    """The fixture compiled to RDF and read back through queries/inputs/pooling-inputs.rq: every new
    slot reaches the harmonizing layer, so the answer is the files' answer."""
    import pyoxigraph as ox

    from ketamine_kg.build import curation
    from ketamine_kg.build.compile import compile_curation

    loaded = curation.load(FIXTURE)
    assert curation.check(loaded) == []
    store = ox.Store()
    store.load(compile_curation(loaded).serialize(format="nt").encode(), format=ox.RdfFormat.N_TRIPLES)
    root = Path(__file__).resolve().parents[1]
    store.load(path=str(root / "ontology" / "ketamine-edit.ttl"), format=ox.RdfFormat.TURTLE)
    solutions = store.query((root / "queries" / "inputs" / "pooling-inputs.rq").read_text(encoding="utf-8"))
    names = [v.value for v in solutions.variables]
    graph_rows = [{n: t.value for n, t in zip(names, sol, strict=True) if t is not None} for sol in solutions]
    assert len(graph_rows) == len([r for r in rows if r.get("condition")])
    for q in (Question(**DAY1, drug="ketamine"), Question(measure="risk-ratio", outcome="response", time_max_days=1.0)):
        a, b = answer(rows, q), answer(graph_rows, q)
        assert [(e.result_id, e.effect, e.variance, e.rule) for e in a.included] == [
            (e.result_id, e.effect, e.variance, e.rule) for e in b.included
        ]
        assert a.summary == b.summary and a.included
        assert [x.reason for x in a.excluded] == [x.reason for x in b.excluded]


def test_a_hazard_ratio_on_time_to_relapse_below_one_favours_the_drug() -> None:
    # Longer time to relapse is better (better_when higher), so a lower hazard of relapse is (the
    # outcome is a time to an event, time_to_event: true, as curated in outcomes.yaml): HR 0.49
    # (SUSTAIN-1's stable remitters) and 0.47 (Dakwar 2019) favour the drug, whatever the time's direction.
    def hr(rid: str, study: str, value: float, lower: float, upper: float) -> dict[str, Any]:
        return {"id": rid, "study": study, "outcome": "time-to-relapse", "measure": "hazard-ratio", "value": value,
                "ci_lower": lower, "ci_upper": upper, "ci_level": 95, "contrast_order": "intervention-over-comparator",
                "comparison": "inert-placebo", "endpoint_role": "primary", "outcome_construct": "depressive-symptoms",
                "better_when": "higher", "time_to_event": True, "verified": True, "condition": "c",
                "drug": "d"}  # fmt: skip

    rows = [hr("a", "s1", 0.49, 0.29, 0.84), hr("b", "s2", 0.47, 0.27, 0.81)]
    p = answer(rows, Question(measure="hazard-ratio", outcome="time-to-relapse"))
    assert len(p.included) == 2 and all(e.favours == "drug" for e in p.included)
    assert p.favours == "drug"
