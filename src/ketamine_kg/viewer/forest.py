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

from ketamine_kg.evidence.pooling import RATIOS, Estimate, Pooling

if TYPE_CHECKING:  # pandas and altair load with the page that draws a chart
    import altair as alt
    import pandas as pd

__all__ = [
    "favours_axis",
    "forest_chart",
    "forest_frame",
    "n_text",
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


def study_label(label: str, e: Estimate) -> str:
    """The study's name with what a reader needs to know: subgroup, dose arm(s), analysis set."""
    parts = []
    if e.subgroup:
        parts.append(f"subgroup {e.subgroup}")
    if "split" in e.arms:
        parts.append(f"{e.arms.split(';')[0]}, control split")
    elif "combined" in e.arms:
        parts.append(f"{e.arms.split(' (Cochrane')[0]}")
    elif e.arms.startswith("1 of"):
        parts.append(e.arms)
    if e.analysis_set and e.analysis_set != "not-stated":
        parts.append(e.analysis_set.upper() if e.analysis_set in ("itt", "mitt") else e.analysis_set)
    if e.flags:
        parts.append(", ".join(e.flags))
    return f"{label} ({'; '.join(parts)})" if parts else label


def forest_frame(p: Pooling, labels: Mapping[str, str]) -> pd.DataFrame:
    """One row per included estimate (harmonized effect, CI, weight %, n, the printed figure and
    the rule that chose it) and a last row for the pooled estimate.

    Weights are the inverse-variance weights of the method used: 1 / (v_i + tau^2). A label is
    made unique when a multi-arm trial contributes several rows.
    """
    import pandas as pd

    z = _z(p.summary.level if p.summary else 95.0)
    tau2 = p.summary.tau2 if p.summary else 0.0
    weights = [1.0 / (e.variance + tau2) for e in p.included]
    total = sum(weights) or 1.0
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for e, w in zip(p.included, weights, strict=True):
        se = math.sqrt(e.variance)
        effect, lower, upper = _back(p, e.effect), _back(p, e.effect - z * se), _back(p, e.effect + z * se)
        label = study_label(labels.get(e.study, e.study), e)
        while label in seen:
            label += " "
        seen.add(label)
        rows.append(
            {
                "label": label,
                "study": e.study,
                "result": e.result_id,
                "effect": effect,
                "lower": lower,
                "upper": upper,
                "ci_text": _ci_text(effect, lower, upper),
                "weight": round(100.0 * w / total, 1),
                "weight_text": f"{100.0 * w / total:.1f}%",
                "n": e.n,
                "n_text": "?" if e.n is None else str(e.n),
                "favours": e.favours,
                "printed": e.printed,
                "time": e.time,
                "rule": e.rule,
                "from": e.derived_from,
                "kind": "study",
            }
        )
    if p.summary:
        s = p.summary
        effect, lower, upper = (_back(p, x) for x in (s.estimate, s.ci_lower, s.ci_upper))
        n_text = f"{p.n_total:,}" + (f" + {p.n_unknown} unknown" if p.n_unknown else "")
        rows.append(
            {
                "label": f"{POOLED} ({s.method}; k = {p.k_studies})",
                "study": "",
                "result": "",
                "effect": effect,
                "lower": lower,
                "upper": upper,
                "ci_text": _ci_text(effect, lower, upper),
                "weight": 100.0,
                "weight_text": "100%",
                "n": p.n_total or None,
                "n_text": n_text,
                "favours": p.favours,
                "printed": "",
                "time": "",
                "rule": f"I² {s.i2:.0f}%, tau² {s.tau2:.3f}",
                "from": s.method,
                "kind": "pooled",
            }
        )
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


FRAME_COLUMNS = [
    "label", "study", "result", "effect", "lower", "upper", "ci_text", "weight", "weight_text", "n", "n_text",
    "favours", "printed", "time", "rule", "from", "kind",
]  # fmt: skip


def _ci_text(effect: float | None, lower: float | None, upper: float | None) -> str:
    if effect is None or lower is None or upper is None:
        return ""
    return f"{effect:.2f} [{lower:.2f}, {upper:.2f}]"


def _z(level: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 200.0)


def n_text(p: Pooling) -> str:
    """n as the sum of analysed participants, with the studies whose n is unknown said beside it."""
    unknown = p.n_unknown
    return f"n = {p.n_total:,}" + (
        f" (+ {unknown} stud{'y' if unknown == 1 else 'ies'} whose n is unknown)" if unknown else ""
    )


def summary_line(p: Pooling) -> str:
    """k, n, the pooled estimate and its interval, favours, tau^2, I^2 and the prediction interval."""
    s = p.summary
    if s is None:
        return f"Not pooled: {p.k_studies} study fits this question; at least two are needed."
    est, lo, hi = (_back(p, x) for x in (s.estimate, s.ci_lower, s.ci_upper))
    effects = f" ({s.k} effects)" if s.k != p.k_studies else ""
    text = (
        f"{p.family} {est:.2f} ({s.level:g}% CI {lo:.2f} to {hi:.2f}), favours {p.favours}; "
        f"k = {p.k_studies}{effects}, {n_text(p)}; tau² = {s.tau2:.3f}, I² = {s.i2:.0f}%; {s.method}"
    )
    if s.pi_lower is not None and s.pi_upper is not None:
        text += f"; prediction interval {_back(p, s.pi_lower):.2f} to {_back(p, s.pi_upper):.2f}"
    return text


def favours_axis(family: str, better_when: str | None) -> str:
    """What lies left and right of no effect, for the x axis title."""
    if better_when not in ("lower", "higher"):
        return "which side favours the drug is not recorded"
    left, right = ("drug", "comparator") if better_when == "lower" else ("comparator", "drug")
    return f"◀ favours {left}   |   favours {right} ▶"


def forest_chart(frame: pd.DataFrame, p: Pooling, title: str) -> alt.HConcatChart:
    """A forest plot as RevMan and Metapsy draw one: studies as squares sized by weight with their
    CI, the pooled estimate as a diamond, a line at no effect (1 for ratios, 0 for differences) on a
    log axis for ratios, "favours drug | favours comparator" under the axis, and to the right the
    effect with its CI, the weight and n of every row."""
    import altair as alt

    ratio = p.family in RATIOS
    order = list(frame["label"])
    scale = alt.Scale(type="log") if ratio else alt.Scale(zero=False)
    convention = "drug / comparator, log scale" if ratio else "drug − comparator"
    x_title = [f"{p.family.replace('-', ' ')} ({convention})", favours_axis(p.family, p.better_when)]
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=300))
    base = alt.Chart(frame).encode(y=y)
    select = alt.selection_point(fields=["study"], name="row")
    tooltip = ["label", "ci_text", "weight_text", "n_text", "favours", "printed", "time", "rule"]
    studies = base.transform_filter(alt.datum.kind == "study")
    ci = studies.mark_rule(strokeWidth=1.5).encode(x=alt.X("lower:Q", scale=scale, title=x_title), x2="upper:Q")
    squares = (
        studies.mark_square(color="#1f4e79")
        .encode(
            x="effect:Q",
            size=alt.Size("weight:Q", scale=alt.Scale(range=[30, 400]), legend=None),
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
    null = alt.Chart(frame).mark_rule(strokeDash=[4, 4], color="#555").encode(x=alt.datum(1.0 if ratio else 0.0))
    # A step height (px per row), not a total: Streamlit sizes a layered chart's total height itself.
    # Fixed widths: in a row of panels a container width would push the columns off the page.
    plot = (ci + squares + pooled_ci + diamond + null).properties(width=340, height=alt.Step(28))

    def column(field: str, header: str, width: int) -> alt.Chart:
        return (
            base.mark_text(align="left", baseline="middle")
            .encode(text=f"{field}:N", x=alt.value(4), y=alt.Y("label:N", sort=order, axis=None))
            .properties(title=header, width=width, height=alt.Step(28))
        )

    columns = alt.hconcat(
        column("ci_text", f"effect [{p.summary.level if p.summary else 95:g}% CI]", 140),
        column("weight_text", "weight", 50),
        column("n_text", "n", 70),
        spacing=4,
    )
    return alt.hconcat(plot, columns, spacing=8).properties(title=title).configure_view(stroke=None)


def time_course_chart(points: Sequence[Mapping[str, Any]], outcome: str) -> alt.VConcatChart:
    """Each harmonized between-group result (drug minus, or over, comparator) at its time point in
    hours (log axis), by drug form: one panel per measure, each with its own y axis and a line at no
    effect. Points come from :func:`ketamine_kg.evidence.harmonize.course`."""
    import altair as alt
    import pandas as pd

    columns = ["family", "drug", "hours", "effect", "lower", "upper", "study", "favours", "printed", "result"]
    frame = pd.DataFrame([{c: p.get(c) for c in columns} for p in points], columns=columns)
    panels = []
    for family in sorted(set(frame["family"])) or ["mean-difference"]:
        part = frame[frame["family"] == family]
        ratio = family in RATIOS
        y_scale = alt.Scale(type="log") if ratio else alt.Scale(zero=False)
        y_title = f"{family.replace('-', ' ')} ({'drug / comparator' if ratio else 'drug − comparator'})"
        base = alt.Chart(part).encode(
            x=alt.X("hours:Q", scale=alt.Scale(type="log"), title="hours after the dose (log scale)"),
            color=alt.Color("drug:N", title="drug form"),
        )
        points_layer = base.mark_circle(size=70, opacity=0.9).encode(
            y=alt.Y("effect:Q", scale=y_scale, title=y_title, axis=alt.Axis(grid=True)),
            tooltip=["study", "drug", "hours", "effect", "lower", "upper", "favours", "printed"],
        )
        bars = base.mark_rule(opacity=0.6).encode(y="lower:Q", y2="upper:Q")
        zero = alt.Chart(part).mark_rule(strokeDash=[4, 4], color="#555").encode(y=alt.datum(1.0 if ratio else 0.0))
        panels.append(
            (bars + points_layer + zero).properties(title=f"{family.replace('-', ' ')}", width="container", height=260)
        )
    return alt.vconcat(*panels).properties(title=f"Time course: {outcome} (harmonized: drug against comparator)")


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


def static_spec(chart: alt.TopLevelMixin) -> str:
    """The chart's Vega-Lite JSON for a file: a container width means nothing outside a page, so
    every panel drawn to the container's width is drawn 640 px wide in exports."""
    import json

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (640 if k == "width" and v == "container" else fix(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    return json.dumps(fix(chart.to_dict()))


def render_files(spec: str) -> tuple[bytes, bytes]:
    """PNG (at twice the size, for print) and SVG of a Vega-Lite specification."""
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(spec, scale=2)), vlc.vegalite_to_svg(spec).encode("utf-8")


def to_svg(chart: alt.TopLevelMixin) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(static_spec(chart)).encode("utf-8")


def to_png(chart: alt.TopLevelMixin) -> bytes:
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(static_spec(chart), scale=2))
