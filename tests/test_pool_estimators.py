"""The tau^2 estimators: Paule-Mandel against a published figure, and PM, DerSimonian-Laird and REML
against an independent implementation written here from their defining equations, on inputs with
tau^2 > 0, plus the relations the three must keep on any input (hypothesis).

Published figure: metafor's own test tests/testthat/test_misc_rma_uni.r (wviechtb/metafor, commit
191d2cb2, read through the search tool) fits dat.bcg's log risk ratios with method="DLIT" and
method="SJIT" and expects tau^2 = 0.3181 from both. Both iterations stop where the generalized Q
statistic equals k - 1 (DerSimonian & Kacker 2007), which is the Paule-Mandel equation; so the
Paule-Mandel tau^2 of dat.bcg is 0.3181. statsmodels' iteration stops near -9e-16 on some inputs
and reports 0 beside a large Q (issue 16): the estimator here must never do that.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_kg.evidence.pooling import generalized_q, meta_analyse, paule_mandel_tau2

BCG = yaml.safe_load((Path(__file__).parent / "fixtures" / "dat-bcg.yaml").read_text(encoding="utf-8"))["trials"]


def bcg() -> tuple[np.ndarray, np.ndarray]:
    y = [math.log((t["tpos"] / (t["tpos"] + t["tneg"])) / (t["cpos"] / (t["cpos"] + t["cneg"]))) for t in BCG]
    v = [1 / t["tpos"] - 1 / (t["tpos"] + t["tneg"]) + 1 / t["cpos"] - 1 / (t["cpos"] + t["cneg"]) for t in BCG]
    return np.array(y), np.array(v)


# --- an independent implementation: each estimator from its defining equation ------------------


def dl_by_hand(y: np.ndarray, v: np.ndarray) -> float:
    w = 1 / v
    q = float((w * (y - (w * y).sum() / w.sum()) ** 2).sum())
    return max(0.0, (q - (len(y) - 1)) / (w.sum() - (w**2).sum() / w.sum()))


def pm_by_hand(y: np.ndarray, v: np.ndarray) -> float:
    """Bisection on Q(t) - (k - 1), which falls as t grows, to 1e-13."""
    k = len(y)

    def q(t: float) -> float:
        w = 1 / (v + t)
        return float((w * (y - (w * y).sum() / w.sum()) ** 2).sum())

    if q(0.0) <= k - 1:
        return 0.0
    lo, hi = 0.0, 1.0
    while q(hi) > k - 1:
        lo, hi = hi, hi * 2
    while hi - lo > 1e-13:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if q(mid) > k - 1 else (lo, mid)
    return (lo + hi) / 2


def reml_by_hand(y: np.ndarray, v: np.ndarray) -> float:
    """Fisher scoring on the restricted likelihood (Viechtbauer 2005, eq. 13), truncated at 0."""
    t = dl_by_hand(y, v)
    for _ in range(10_000):
        w = 1 / (v + t)
        mu = (w * y).sum() / w.sum()
        step = (((w**2) * ((y - mu) ** 2 - v)).sum() / (w**2).sum() + 1 / w.sum()) - t
        t_new = max(0.0, t + step)
        if abs(t_new - t) < 1e-14:
            break
        t = t_new
    return t


def test_paule_mandel_on_bcg_is_metafors_published_figure() -> None:
    y, v = bcg()
    s = meta_analyse(y, v, "pm")
    assert round(s.tau2, 4) == 0.3181  # metafor, test_misc_rma_uni.r: DLIT and SJIT, 0.3181
    assert s.q > s.q_df and s.i2 > 90
    assert generalized_q(y, v, s.tau2) == pytest.approx(len(y) - 1, abs=1e-9)


def test_paule_mandel_is_not_zero_where_statsmodels_gives_up() -> None:
    # statsmodels 0.15's combine_effects(method_re="iterated", atol=1e-10) returns tau^2 = 0 here
    # beside Q = 20.3 on 3 df: the estimator it replaced printed a fixed-effect answer.
    y = np.array([-2.57, -8.24, 0.84, 0.55])
    v = np.array([4.278, 3.005, 1.374, 4.215])
    s = meta_analyse(y, v, "pm")
    assert s.q == pytest.approx(20.307, abs=1e-3) and s.tau2 > 5 and s.i2 > 75
    assert s.tau2 == pytest.approx(pm_by_hand(y, v), rel=1e-9)
    assert s.pi_upper is not None and s.pi_lower is not None and s.pi_upper - s.pi_lower > 20


@pytest.mark.parametrize("data", ["bcg", "clusters", "kacker"])
def test_pm_reml_and_dl_equal_an_independent_implementation_where_tau2_is_positive(data: str) -> None:
    y, v = {
        "bcg": bcg(),
        "clusters": (np.array([-2.57, -8.24, 0.84, 0.55]), np.array([4.278, 3.005, 1.374, 4.215])),
        "kacker": (
            np.array([61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9]),
            np.array([0.2025, 1.21, 0.09, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225]),
        ),
    }[data]
    for method, by_hand in (("pm", pm_by_hand), ("dl", dl_by_hand), ("reml", reml_by_hand)):
        s = meta_analyse(y, v, method)
        tau2 = by_hand(y, v)
        assert tau2 > 0
        assert s.tau2 == pytest.approx(tau2, rel=1e-6, abs=1e-9), method
        w = 1 / (v + tau2)
        assert s.estimate == pytest.approx((w * y).sum() / w.sum(), rel=1e-6, abs=1e-9), method
        assert s.se == pytest.approx(math.sqrt(1 / w.sum()), rel=1e-5), method


studies = st.integers(min_value=2, max_value=12).flatmap(
    lambda k: st.tuples(
        st.lists(st.floats(-20, 20, allow_nan=False), min_size=k, max_size=k),
        st.lists(st.floats(0.01, 25, allow_nan=False), min_size=k, max_size=k),
    )
)


@settings(max_examples=200, deadline=None)
@given(studies)
def test_estimators_keep_their_known_relations_on_random_inputs(data: tuple[list[float], list[float]]) -> None:
    y, v = np.array(data[0]), np.array(data[1])
    k = len(y)
    q = generalized_q(y, v, 0.0)
    pm, dl, reml = (meta_analyse(y, v, m) for m in ("pm", "dl", "reml"))
    # Paule-Mandel and DerSimonian-Laird are 0 exactly when Q <= k - 1, and positive otherwise.
    assert (pm.tau2 == 0) == (q <= k - 1)
    assert (dl.tau2 == 0) == (q <= k - 1)
    # PM solves its equation; REML is never negative; every estimate lies within the data.
    if pm.tau2 > 0:
        assert generalized_q(y, v, pm.tau2) == pytest.approx(k - 1, rel=1e-7)
    for s in (pm, dl, reml):
        assert s.tau2 >= 0 and y.min() - 1e-9 <= s.estimate <= y.max() + 1e-9
        assert s.ci_lower <= s.estimate <= s.ci_upper
    assert pm.tau2 == pytest.approx(paule_mandel_tau2(y, v))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-20, 20, allow_nan=False), min_size=3, max_size=10),
    st.floats(0.05, 10, allow_nan=False),
)
def test_with_equal_variances_pm_dl_and_reml_coincide(effects: list[float], variance: float) -> None:
    """With one within-study variance for all, every moment and REML estimator is max(0, s^2 - v)."""
    y, v = np.array(effects), np.full(len(effects), variance)
    expected = max(0.0, float(np.var(y, ddof=1)) - variance)
    for method in ("pm", "dl", "reml"):
        assert meta_analyse(y, v, method).tau2 == pytest.approx(expected, rel=1e-4, abs=1e-6), method
