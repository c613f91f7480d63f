"""The evidence charts: a forest plot's rows are the pooling's, and every chart exports as PNG and SVG."""

from __future__ import annotations

import math

import pytest

from ketamine_kg.evidence.pooling import meta_analyse, pool
from ketamine_kg.viewer import forest

ROWS = [  # three made-up trials, per-arm counts, so the pooled risk ratio comes from the engine
    {"id": f"r{i}{arm}", "study": f"s{i}", "measure": "response-rate", "arm": arm, "arm_role": role, "value": 100 * e / n,
     "events": e, "n": n}
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
    assert frame.loc[3, "lower"] < frame.loc[3, "effect"] < frame.loc[3, "upper"]
    assert frame["weight"][:3].sum() == pytest.approx(100.0, abs=0.2)
    # The weights are the method's own: the same estimate comes back from them.
    again = meta_analyse([e.effect for e in pooled.included], [e.variance for e in pooled.included], method="dl")
    assert again.estimate == pytest.approx(pooled.summary.estimate)


def test_summary_line_names_k_n_and_heterogeneity(pooled) -> None:
    line = forest.summary_line(pooled)
    assert line.startswith("risk-ratio ") and "k = 3" in line and "n = 400" in line and "I² =" in line


def test_forest_exports_as_png_and_svg(pooled) -> None:
    chart = forest.forest_chart(forest.forest_frame(pooled, {"s0": "Trial A"}), pooled, "made-up trials")
    assert forest.to_png(chart).startswith(b"\x89PNG\r\n\x1a\n")
    svg = forest.to_svg(chart).decode()
    assert svg.lstrip().startswith("<svg") and "Trial A" in svg and "Pooled" in svg


def test_time_course_and_rates_draw_from_query_rows() -> None:
    course = forest.time_course_chart(
        [{"drugLabel": "esketamine", "hours": "24", "value": "-4.1", "ciLower": "-7", "ciUpper": "-1", "studyLabel": "T"},
         {"drugLabel": "ketamine", "hours": "", "value": "-2"}], "MADRS")
    assert "esketamine" in forest.to_svg(course).decode()
    rates = forest.rates_chart([{"studyLabel": "T", "arm": "drug", "armRole": "intervention", "measure": "response-rate",
                                 "percent": "52.5", "n": "114", "timeValue": "28", "timeUnit": "day"}])
    assert forest.to_png(rates).startswith(b"\x89PNG")
