"""Every study figure travels from the curated record through the built RDF to the query that the
pooling reads, and `ketamine-kg pool` answers from the graph."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

from ketamine_kg.cli.main import main
from ketamine_kg.build.curation import Curation
from ketamine_kg.layout import Layout
from ketamine_kg.cli.pool import graph_rows

KKR = "https://w3id.org/ketamine-kg/resource/"
RESULT_FIELDS = {  # curated field -> the query's column
    "value": "value", "ci_lower": "ciLower", "ci_upper": "ciUpper", "ci_level": "ciLevel", "se": "se", "sd": "sd",
    "p_value": "pValue", "n_intervention": "nIntervention", "n_control": "nControl", "n": "n", "events": "events",
    "time_value": "timeValue",
}
TEXT_FIELDS = {"measure": "measure", "contrast": "contrast", "arm": "arm", "arm_role": "armRole", "time_unit": "timeUnit",
               "time_from": "timeFrom"}
SLUG_FIELDS = {"study": "study", "outcome": "outcome", "instrument": "instrument"}
STUDY_SLUGS = {"condition": "condition", "drug": "drug", "route": "route"}


def _num(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value)).normalize()


def test_every_result_figure_reaches_the_pooling_query(layout: Layout, curated: Curation) -> None:
    rows = {row["id"].removeprefix(KKR): row for row in graph_rows(layout.root)}
    studies = {s.id: s for s in curated.studies if s.condition}
    expected_ids = {r.id for r in curated.results if r.study in studies}
    assert set(rows) == expected_ids and len(expected_ids) > 300
    for r in curated.results:
        if r.id not in rows:
            continue
        row, study = rows[r.id], studies[r.study]
        for field, column in RESULT_FIELDS.items():
            assert _num(getattr(r, field)) == _num(row.get(column)), (r.id, field)
        for field, column in TEXT_FIELDS.items():
            assert getattr(r, field) == row.get(column), (r.id, field)
        for field, column in SLUG_FIELDS.items():
            assert getattr(r, field) == (row[column].removeprefix(KKR) if column in row else None), (r.id, field)
        for field, column in STUDY_SLUGS.items():
            assert getattr(study, field) == (row[column].removeprefix(KKR) if column in row else None), (r.id, field)
        assert (study.comparator_kind, study.design) == (row.get("comparatorKind"), row.get("design")), r.id


QUESTIONS = [  # questions a meta-analyst asks; they must hold whatever the curated data says
    ["--measure", "mean-difference", "--outcome", "madrs", "--drug", "ketamine", "--time-max", "1"],
    ["--measure", "mean-difference", "--outcome", "madrs", "--time-min", "21", "--time-max", "28"],
    ["--measure", "risk-ratio", "--outcome", "response", "--time-max", "1"],
    ["--measure", "risk-ratio", "--outcome", "remission", "--time-min", "21", "--time-max", "28"],
    ["--measure", "odds-ratio", "--outcome", "abstinence", "--method", "dl"],
    ["--measure", "smd", "--outcome", "madrs", "--time-max", "1", "--method", "pm"],
    ["--measure", "hazard-ratio", "--outcome", "relapse"],
]


@pytest.mark.parametrize("argv", QUESTIONS, ids=lambda a: "-".join(a[1:4]))
def test_every_answer_from_the_graph_is_harmonized_and_says_why(argv: list[str], capsys) -> None:
    code = main(["pool", *argv, "--format", "json"])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    got = json.loads(captured.out)
    assert got["convention"].startswith("sign convention: differences are drug minus comparator")
    assert any(note.startswith("comparison: drug against inert-placebo, active-placebo") for note in got["notes"])
    for row in got["included"]:
        # a harmonized effect, the figure as printed, the rule that chose it, and its population
        assert math.isfinite(row["effect"]) and row["variance"] > 0 and row["printed"] and row["rule"]
        assert row["arm_handling"] and row["time_point"] and row["analysis_set"]
        assert row["favours"] in ("drug", "comparator", "neither")
        assert row["subgroup"] == "" and row["flags"] == []  # whole populations, verified, by default
    studies = [row["study"] for row in got["included"]]
    assert len(set(studies)) == got["summary"]["k"] if got["summary"] else True
    for row in got["excluded"]:
        assert row["reason"].strip()
    if got["summary"]:
        s = got["summary"]
        assert s["favours"] in ("drug", "comparator", "neither") and s["ci_lower"] <= s["estimate"] <= s["ci_upper"]
        assert s["n_unknown_count"] == len({r["study"] for r in got["included"] if r["n"] is None})
        assert s["n"] == sum(r["n"] or 0 for r in got["included"])
    else:
        assert code == 1 and captured.err.startswith("ketamine-kg: error: nothing pooled")


@pytest.mark.parametrize("argv", QUESTIONS, ids=lambda a: "-".join(a[1:4]))
def test_pm_reml_and_dl_equal_an_independent_implementation_on_the_graphs_questions(argv: list[str], capsys) -> None:
    """Where a question's rows leave tau^2 > 0, each estimator equals the one written from its
    defining equation in test_pool_estimators (on the graph alone, before the result-meaning
    annotations land, no question pools and there is nothing to compare)."""
    import numpy as np

    from ketamine_kg.evidence.pooling import meta_analyse

    from .test_pool_estimators import dl_by_hand, pm_by_hand, reml_by_hand

    main(["pool", *argv, "--format", "json"])
    got = json.loads(capsys.readouterr().out)
    if len(got["included"]) < 2:
        return
    y = np.array([r["effect"] for r in got["included"]])
    v = np.array([r["variance"] for r in got["included"]])
    for method, by_hand in (("pm", pm_by_hand), ("dl", dl_by_hand), ("reml", reml_by_hand)):
        tau2 = by_hand(y, v)
        s = meta_analyse(y, v, method)
        assert s.tau2 == pytest.approx(tau2, rel=1e-6, abs=1e-9), (method, argv)
        w = 1 / (v + tau2)
        assert s.estimate == pytest.approx((w * y).sum() / w.sum(), rel=1e-6, abs=1e-9), (method, argv)


def test_unverified_and_secondary_copies_stay_out_by_default(capsys) -> None:
    main(["pool", "--measure", "risk-ratio", "--outcome", "response", "--time-max", "28", "--format", "json"])
    got = json.loads(capsys.readouterr().out)
    reasons = " ".join(x["reason"] for x in got["excluded"])
    assert "unverified figure (verified: false)" in reasons and "secondary copy (read in" in reasons


def test_a_selection_that_matches_nothing_names_the_closest_slugs(capsys) -> None:
    code = main(["pool", "--measure", "mean-difference", "--outcome", "madr"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "closest: madrs" in err
    code = main(["pool", "--measure", "mean-difference", "--outcome", "madrs", "--drug", "ketamin"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "" and "closest: ketamine" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    code = main(["pool", "--measure", "mean-difference", "--condition", "alcohol-use-disorder", "--outcome", "madrs"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "no result on outcome 'madrs' in condition 'alcohol-use-disorder' (outcomes there, known: abstinence," in err
    assert "conditions with it, closest: " in err
    code = main(["pool", "--measure", "mean-difference", "--time-min", "7", "--time-max", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == "ketamine-kg: error: --time-min is after --time-max: the window is empty"


def test_pool_rejects_a_bad_method_in_one_line(capsys) -> None:
    code = main(["pool", "--measure", "risk-ratio", "--method", "bayes"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "bayes" in err
