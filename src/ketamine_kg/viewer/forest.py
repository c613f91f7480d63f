"""Evidence charts: a forest plot of one pooling question, the time course of an effect, and
per-arm response and remission rates; each also as PNG, SVG and CSV.

Charts are Vega-Lite (Altair): Streamlit draws them with row selection, and vl-convert renders
the same specification to PNG and SVG without a browser or a network, so what is downloaded is
what is shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ketamine_kg.evidence.pooling import RATIOS, Pooling

if TYPE_CHECKING:  # pandas and altair load with the page that draws a chart
    import altair as alt
    import pandas as pd

__all__ = [
    "forest_chart",
    "forest_frame",
    "rates_chart",
    "static_spec",
    "summary_line",
    "time_course_chart",
    "to_png",
    "to_svg",
]

POOLED = "Pooled"


def _back(p: Pooling, x: float | None) -> float | None:
    """A value on the scale people read: ratios come back from the log scale they were pooled on."""
    if x is None:
        return None
    return math.exp(x) if p.family in RATIOS else x


def forest_frame(p: Pooling, labels: Mapping[str, str]) -> pd.DataFrame:
    """One row per included study (effect, CI, weight %, n) and a last row for the pooled estimate.

    Weights are the inverse-variance weights of the method used: 1 / (v_i + tau^2).
    """
    import pandas as pd

    z = _z(p.summary.level if p.summary else 95.0)
    tau2 = p.summary.tau2 if p.summary else 0.0
    weights = [1.0 / (e.variance + tau2) for e in p.included]
    total = sum(weights) or 1.0
    rows: list[dict[str, Any]] = []
    for e, w in zip(p.included, weights, strict=True):
        se = math.sqrt(e.variance)
        rows.append(
            {
                "label": labels.get(e.study, e.study),
                "study": e.study,
                "result": e.result_id,
                "effect": _back(p, e.effect),
                "lower": _back(p, e.effect - z * se),
                "upper": _back(p, e.effect + z * se),
                "weight": round(100.0 * w / total, 1),
                "n": e.n,
                "from": e.derived_from,
                "kind": "study",
            }
        )
    if p.summary:
        s = p.summary
        rows.append(
            {
                "label": POOLED,
                "study": "",
                "result": "",
                "effect": _back(p, s.estimate),
                "lower": _back(p, s.ci_lower),
                "upper": _back(p, s.ci_upper),
                "weight": 100.0,
                "n": p.n_total or None,
                "from": s.method,
                "kind": "pooled",
            }
        )
    return pd.DataFrame(
        rows, columns=["label", "study", "result", "effect", "lower", "upper", "weight", "n", "from", "kind"]
    )


def _z(level: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 200.0)


def summary_line(p: Pooling) -> str:
    """k, n, the pooled estimate and its interval, tau^2, I^2 and the prediction interval, in one line."""
    s = p.summary
    if s is None:
        return f"Not pooled: {len(p.included)} study fits this question; at least two are needed."
    est, lo, hi = (_back(p, x) for x in (s.estimate, s.ci_lower, s.ci_upper))
    text = (
        f"{p.family} {est:.2f} ({s.level:g}% CI {lo:.2f} to {hi:.2f}); k = {s.k}, n = {p.n_total:,}; "
        f"tau² = {s.tau2:.3f}, I² = {s.i2:.0f}%; {s.method}"
    )
    if s.pi_lower is not None and s.pi_upper is not None:
        text += f"; prediction interval {_back(p, s.pi_lower):.2f} to {_back(p, s.pi_upper):.2f}"
    return text


def forest_chart(frame: pd.DataFrame, p: Pooling, title: str) -> alt.Chart:
    """Studies as squares sized by weight with their CI, the pooled estimate as a diamond, and a
    line at no effect (1 for ratios, 0 for differences), on a log axis for ratios."""
    import altair as alt
    import pandas as pd

    ratio = p.family in RATIOS
    order = list(frame["label"])
    scale = alt.Scale(type="log") if ratio else alt.Scale(zero=False)
    x_title = f"{p.family.replace('-', ' ')}{', log scale' if ratio else ''} (dashed line: no difference)"
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    base = alt.Chart(frame).encode(y=y)
    select = alt.selection_point(fields=["study"], name="row")
    tooltip = ["label", "effect", "lower", "upper", "weight", "n", "from"]
    studies = base.transform_filter(alt.datum.kind == "study")
    ci = studies.mark_rule(strokeWidth=1.5).encode(x=alt.X("lower:Q", scale=scale, title=x_title), x2="upper:Q")
    squares = (
        studies.mark_square(color="#1f4e79")
        .encode(
            x="effect:Q",
            size=alt.Size("weight:Q", scale=alt.Scale(range=[30, 400]), legend=alt.Legend(title="weight %")),
            tooltip=tooltip,
            opacity=alt.condition(select, alt.value(1.0), alt.value(0.35)),
        )
        .add_params(select)
    )
    pooled = base.transform_filter(alt.datum.kind == "pooled")
    diamond = pooled.mark_point(shape="diamond", filled=True, size=500, color="#b03a2e").encode(
        x="effect:Q", tooltip=tooltip
    )
    pooled_ci = pooled.mark_rule(strokeWidth=3, color="#b03a2e").encode(x="lower:Q", x2="upper:Q")
    null = (
        alt.Chart(pd.DataFrame({"x": [1.0 if ratio else 0.0]}))
        .mark_rule(strokeDash=[4, 4], color="#555")
        .encode(x="x:Q")
    )
    # A step height (px per row), not a total: Streamlit sizes a layered chart's total height itself.
    return (ci + squares + pooled_ci + diamond + null).properties(title=title, width="container", height=alt.Step(28))


def time_course_chart(rows: Sequence[Mapping[str, Any]], outcome: str) -> alt.Chart:
    """Each between-group result on one outcome at its time point in hours (log axis), by drug form."""
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "drug": r.get("drugLabel"),
                "hours": float(r["hours"]),
                "effect": float(r["value"]),
                "lower": _float(r.get("ciLower")),
                "upper": _float(r.get("ciUpper")),
                "study": r.get("studyLabel"),
                "measure": r.get("measure"),
                "result": r.get("result"),
            }
            for r in rows
            if r.get("hours") not in (None, "") and float(r["hours"]) > 0
        ]
    )
    if frame.empty:
        frame = pd.DataFrame(columns=["drug", "hours", "effect", "lower", "upper", "study", "measure", "result"])
    x = alt.X("hours:Q", scale=alt.Scale(type="log"), title="hours after the dose (log scale)")
    color = alt.Color("drug:N", title="drug form")
    points = (
        alt.Chart(frame)
        .mark_circle(size=70)
        .encode(
            x=x,
            y=alt.Y("effect:Q", title=f"between-group effect on {outcome} (as reported)"),
            color=color,
            tooltip=["study", "drug", "hours", "measure", "effect", "lower", "upper"],
        )
    )
    bars = (
        alt.Chart(frame)
        .transform_filter("isValid(datum.lower) && isValid(datum.upper)")
        .mark_rule(opacity=0.6)
        .encode(x=x, y="lower:Q", y2="upper:Q", color=color)
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(strokeDash=[4, 4], color="#555").encode(y="y:Q")
    return (bars + points + zero).properties(title=f"Time course: {outcome}", width="container", height=320)


def rates_chart(rows: Sequence[Mapping[str, Any]]) -> alt.Chart:
    """Per-arm response and remission rates (percent), one row per study and arm."""
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "study": r.get("studyLabel"),
                "arm": r.get("arm"),
                "role": r.get("armRole") or "arm",
                "measure": r.get("measure"),
                "percent": float(r["percent"]),
                "n": _float(r.get("n")),
                "time": _when(r),
            }
            for r in rows
        ]
    )
    if frame.empty:
        frame = pd.DataFrame(columns=["study", "arm", "role", "measure", "percent", "n", "time"])
    return (
        alt.Chart(frame)
        .mark_point(filled=True, size=80)
        .encode(
            x=alt.X("percent:Q", scale=alt.Scale(domain=[0, 100]), title="percent of the arm"),
            y=alt.Y("study:N", title=None, axis=alt.Axis(labelLimit=320)),
            color=alt.Color("role:N", title="arm"),
            shape=alt.Shape("measure:N", title="measure"),
            tooltip=["study", "arm", "measure", "percent", "n", "time"],
        )
        .properties(title="Response and remission by arm", width="container", height=alt.Step(20))
    )


def _float(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def _when(r: Mapping[str, Any]) -> str:
    return f"{r['timeValue']} {r.get('timeUnit') or ''}".strip() if r.get("timeValue") not in (None, "") else ""


def static_spec(chart: alt.Chart) -> str:
    """The chart's Vega-Lite JSON for a file: a container width means nothing outside a page, so
    exports are drawn 720 px wide."""
    return chart.properties(width=720).to_json()


def render_files(spec: str) -> tuple[bytes, bytes]:
    """PNG (at twice the size, for print) and SVG of a Vega-Lite specification."""
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(spec, scale=2)), vlc.vegalite_to_svg(spec).encode("utf-8")


def to_svg(chart: alt.Chart) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(static_spec(chart)).encode("utf-8")


def to_png(chart: alt.Chart) -> bytes:
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(static_spec(chart), scale=2))
