"""The evidence charts: a forest plot's rows are the pooling's, and every chart exports as PNG and SVG."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from ketamine_kg.cli.pool import load_rows
from ketamine_kg.evidence.harmonize import answer, course
from ketamine_kg.evidence.pooling import meta_analyse, pool
from ketamine_kg.evidence.selection import Question
from ketamine_kg.viewer import forest

ROWS = [  # three made-up trials, per-arm counts, so the pooled risk ratio comes from the engine
    {
        "id": f"r{i}{arm}",
        "study": f"s{i}",
        "measure": "response-rate",
        "arm": arm,
        "arm_role": role,
        "value": 100 * e / n,
        "events": e,
        "n": n,
    }
    for i, pairs in enumerate([((30, 60), (15, 60)), ((20, 50), (12, 50)), ((45, 90), (30, 90))])
    for (arm, role), (e, n) in zip((("drug", "intervention"), ("placebo", "comparator")), pairs, strict=True)
]


@pytest.fixture(scope="module")
def pooled():
    return pool(ROWS, "risk-ratio", method="dl")


def test_forest_rows_are_the_pooling_on_the_ratio_scale(pooled) -> None:
    frame = forest.forest_frame(pooled, {"s0": "Trial A"})
    assert list(frame["kind"]) == ["study"] * 3 + ["pooled"]
    assert frame.loc[0, "label"] == "Trial A" and frame.loc[1, "label"] == "s1"
    assert frame.loc[0, "effect"] == pytest.approx(2.0)  # 30/60 vs 15/60
    assert frame.loc[3, "effect"] == pytest.approx(math.exp(pooled.summary.estimate))
    assert frame.loc[3, "label"] == "Pooled (DerSimonian-Laird; k = 3)"
    assert frame.loc[3, "lower"] < frame.loc[3, "effect"] < frame.loc[3, "upper"]
    assert frame["weight"][:3].sum() == pytest.approx(100.0, abs=0.2)
    # The weights are the method's own: the same estimate comes back from them.
    again = meta_analyse([e.effect for e in pooled.included], [e.variance for e in pooled.included], method="dl")
    assert again.estimate == pytest.approx(pooled.summary.estimate)


def test_summary_line_names_k_n_and_heterogeneity(pooled) -> None:
    line = forest.summary_line(pooled)
    assert line.startswith("risk-ratio ") and "k = 3, n = 400;" in line and "I² =" in line


def test_forest_exports_as_png_and_svg(pooled) -> None:
    chart = forest.forest_chart(forest.forest_frame(pooled, {"s0": "Trial A"}), pooled, "made-up trials")
    assert forest.to_png(chart).startswith(b"\x89PNG\r\n\x1a\n")
    svg = forest.to_svg(chart).decode()
    assert svg.lstrip().startswith("<svg") and "Trial A" in svg and "Pooled" in svg


def test_time_course_and_rates_draw() -> None:
    course = forest.time_course_chart(
        [{"family": "mean-difference", "drug": "esketamine", "hours": 24.0, "effect": -4.1, "lower": -7.0, "upper": -1.0,
          "study": "T"}], "MADRS")  # fmt: skip
    assert "esketamine" in forest.to_svg(course).decode()
    rates = forest.rates_chart(
        [
            {
                "studyLabel": "T",
                "arm": "drug",
                "armRole": "intervention",
                "measure": "response-rate",
                "percent": "52.5",
                "n": "114",
                "timeValue": "28",
                "timeUnit": "day",
            }
        ]
    )
    assert forest.to_png(rates).startswith(b"\x89PNG")


# --- issue 16: the forest plot and the time course as a meta-analyst reads them -----------------

FIXTURE = sorted((Path(__file__).parent / "evidence-curation").glob("*.yaml"))


@pytest.fixture(scope="module")
def fixture_rows():
    return load_rows(FIXTURE)


@pytest.fixture(scope="module")
def madrs_day1(fixture_rows):
    return answer(
        fixture_rows, Question(measure="mean-difference", outcome="madrs", time_max_days=1.0, drug="ketamine")
    )


def test_forest_labels_name_the_arm_and_analysis_set_and_columns_give_effect_weight_and_n(madrs_day1) -> None:
    frame = forest.forest_frame(
        madrs_day1, {"study-fixture-three-arm": "Three-arm 2022", "study-fixture-rct": "RCT 2020"}
    )
    labels = list(frame["label"])
    assert "RCT 2020 (ITT)" in labels
    assert "Three-arm 2022 (ketamine 0.2 mg/kg vs placebo, control split; ITT)" in labels
    assert len(set(labels)) == len(labels)
    pooled = frame.iloc[-1]
    assert pooled["label"] == "Pooled (REML; k = 3)" and pooled["n_text"] == "180" and pooled["favours"] == "drug"
    rct = frame[frame["label"] == "RCT 2020 (ITT)"].iloc[0]
    assert rct["ci_text"] == "-7.95 [-12.10, -3.80]" and rct["weight_text"].endswith("%")
    svg = forest.to_svg(forest.forest_chart(frame, madrs_day1, "MADRS: TRD, ketamine")).decode()
    for text in (
        "effect [95% CI]",
        "weight",
        "-7.95 [-12.10, -3.80]",
        "favours drug",
        "favours comparator",
        "ketamine",
    ):
        assert text in svg, text
    # left of zero favours the drug on a lower-is-better scale; right of 1 does for response
    assert forest.favours_axis("mean-difference", "lower").startswith("◀ favours drug")
    assert forest.favours_axis("risk-ratio", "higher").startswith("◀ favours comparator")


def test_summary_line_says_favours_and_the_studies_whose_n_is_unknown(madrs_day1) -> None:
    line = forest.summary_line(madrs_day1)
    assert ", favours drug;" in line and "k = 3 (4 effects), n = 180;" in line
    unknown = dataclasses.replace(
        madrs_day1,
        included=tuple(
            dataclasses.replace(e, n=None) if e.study == "study-fixture-rct" else e for e in madrs_day1.included
        ),
    )
    assert "n = 140 (+ 1 study whose n is unknown)" in forest.summary_line(unknown)


def test_time_course_is_harmonized_one_measure_per_panel_with_a_y_axis(fixture_rows) -> None:
    points = course(fixture_rows, Question(measure="mean-difference", outcome="madrs"))
    by_id = {p["result"]: p for p in points}
    assert by_id["res-fixture-pos-madrs-24h"]["effect"] == -9.0  # printed +9.0, comparator minus drug
    assert by_id["res-fixture-pos-madrs-day7"]["hours"] == 168.0
    assert "res-fixture-notstated-madrs-24h" not in by_id and "res-fixture-pos-madrs-24h-old" not in by_id
    spec = forest.time_course_chart(
        points + [{**points[0], "family": "smd", "effect": -0.5, "lower": -0.9, "upper": -0.1}], "MADRS"
    ).to_dict()
    panels = spec["vconcat"]
    assert [p["title"] for p in panels] == ["mean difference", "smd"]  # one measure per panel
    for panel in panels:
        point_layer = next(layer for layer in panel["layer"] if layer["mark"]["type"] == "circle")
        y = point_layer["encoding"]["y"]
        assert y["field"] == "effect" and y.get("axis", {}) is not None  # points at their values, with an axis
        assert "drug − comparator" in y["title"]
