"""Pooled estimates as data (issue 17, points 2 and 3): the build's kk:PooledEstimate nodes, checked
against figures worked by hand from the curated per-arm counts and against `ketamine-kg pool`, their
SHACL shapes, their bytes, and every certainty rule on hand-made inputs."""

from __future__ import annotations

import json
import math
import random

import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, Graph, Literal
from scipy import stats

from ketamine_kg.build.pooled_estimates import pooled_estimate_graph, window_of
from ketamine_kg.cli.pool import graph_rows, pool_command
from ketamine_kg.evidence.certainty import (
    StudyInput,
    egger_p,
    rate,
    rate_single_study,
    risk_of_bias_by_study,
    trial_risk_of_bias,
)
from ketamine_kg.layout import Layout
from ketamine_kg.rdf.canonical import canonical_bytes
from ketamine_kg.rdf.vocabulary import KK, KKR

DIZZINESS = KKR["pooled-esketamine-nasal-spray-treatment-resistant-depression-dizziness-inert-placebo-reported-period"]
MADRS_DAY_28 = KKR[
    "pooled-esketamine-nasal-spray-treatment-resistant-depression-depressive-symptoms-inert-placebo-8-to-28-days"
]
TRD = "treatment-resistant-depression"
LEVEL_NODES = {KK.CertaintyHigh, KK.CertaintyModerate, KK.CertaintyLow, KK.CertaintyVeryLow}


@pytest.fixture(scope="module")
def graph(layout: Layout) -> Graph:
    """The committed built graph (tests/test_build.py checks that it is what the build makes)."""
    return Graph().parse(layout.graph_file("nt"), format="nt")


def _number(g: Graph, node, prop) -> float:
    value = g.value(node, prop)
    assert value is not None, f"{node} has no {prop}"
    return float(value.toPython())


# --- the built graph ------------------------------------------------------------------------------


def test_the_built_graph_has_at_least_20_rated_pooled_estimates(graph: Graph) -> None:
    nodes = sorted(graph.subjects(RDF.type, KK.PooledEstimate))
    assert len(nodes) >= 20
    for node in nodes:
        assert len(set(graph.objects(node, KK.certainty))) == 1, node
        assert graph.value(node, KK.certainty) in LEVEL_NODES, node
        assert _number(graph, node, KK.pooledStudyCount) >= 2, node
        for reason in graph.objects(node, KK.certaintyReason):
            assert str(graph.value(reason, KK.certaintyDomain)) in {
                "risk-of-bias", "inconsistency", "imprecision", "indirectness", "publication-bias",
            }  # fmt: skip
            assert str(graph.value(reason, RDFS.comment)), reason


def test_each_certainty_is_its_start_moved_down_by_its_reasons(graph: Graph) -> None:
    """The level in the graph is what the reasons add up to: no level without the reasons for it."""
    rank = {level: int(graph.value(level, KK.rank).toPython()) for level in LEVEL_NODES}
    for node in graph.subjects(RDF.type, KK.PooledEstimate):
        down = sum(int(graph.value(r, KK.downgradeLevels).toPython()) for r in graph.objects(node, KK.certaintyReason))
        start = graph.value(node, KK.certaintyStart)
        assert rank[graph.value(node, KK.certainty)] == max(1, rank[start] - down), node
        if start != KK.CertaintyHigh:
            assert "not a randomized trial" in str(graph.value(node, RDFS.comment)), node


def test_every_inclusion_names_its_results_and_the_rule_that_chose_them(graph: Graph) -> None:
    for node in graph.subjects(RDF.type, KK.PooledEstimate):
        included = set(graph.objects(node, KK.includesResult))
        named = set()
        for inclusion in graph.objects(node, KK.inclusion):
            assert str(graph.value(inclusion, KK.selectionRule)), inclusion
            named |= set(graph.objects(inclusion, KK.includedResult))
        assert named == included, node
        assert all((r, RDF.type, KK.Result) in graph for r in included), node


def _arm_counts(curated, ids: list[str]) -> tuple[int, int]:
    rows = [r for r in curated.results if r.id in ids]
    assert len(rows) == len(ids), ids
    return sum(r.events for r in rows), sum(r.n for r in rows)


def test_the_dizziness_pool_is_the_inverse_variance_pool_worked_by_hand(graph: Graph, curated) -> None:
    """TRANSFORM-1 (56 mg and 84 mg arms combined, Handbook 6.5.2.10) and SUSTAIN-1, dizziness, from
    the curated per-arm counts: log risk ratios, variances 1/a - 1/n1 + 1/c - 1/n2, weights 1/v. The
    two trials agree (I² 0, tau² 0), so REML's answer is this fixed-effect pool."""
    t1 = _arm_counts(curated, ["res-harm-transform-1-dizziness-esk56", "res-harm-transform-1-dizziness-esk84"])
    t1_placebo = _arm_counts(curated, ["res-harm-transform-1-dizziness-placebo"])
    s1 = _arm_counts(curated, ["res-harm-sustain-1-dizziness-esketamine"])
    s1_placebo = _arm_counts(curated, ["res-harm-sustain-1-dizziness-placebo"])
    effects, variances = [], []
    for (a, n1), (c, n2) in ((t1, t1_placebo), (s1, s1_placebo)):
        effects.append(math.log((a / n1) / (c / n2)))
        variances.append(1 / a - 1 / n1 + 1 / c - 1 / n2)
    weights = [1 / v for v in variances]
    pooled = sum(w * y for w, y in zip(weights, effects, strict=True)) / sum(weights)
    se = math.sqrt(1 / sum(weights))
    assert _number(graph, DIZZINESS, KK.tau2) == pytest.approx(0, abs=1e-6)
    assert _number(graph, DIZZINESS, KK.value) == pytest.approx(math.exp(pooled), abs=1e-5)
    assert _number(graph, DIZZINESS, KK.ciLower) == pytest.approx(math.exp(pooled - 1.959964 * se), abs=1e-5)
    assert _number(graph, DIZZINESS, KK.ciUpper) == pytest.approx(math.exp(pooled + 1.959964 * se), abs=1e-5)
    n = t1[1] + t1_placebo[1] + s1[1] + s1_placebo[1]
    assert _number(graph, DIZZINESS, KK.participantCount) == n
    assert _number(graph, DIZZINESS, KK.pooledStudyCount) == 2
    assert graph.value(DIZZINESS, KK.measure) == KK.RiskRatio
    # Dizziness is better lower: a risk ratio whose CI is wholly above 1 favours the comparator.
    lower, upper = math.exp(pooled - 1.959964 * se), math.exp(pooled + 1.959964 * se)
    expected = "comparator" if lower > 1 else "drug" if upper < 1 else "neither"
    assert str(graph.value(DIZZINESS, KK.favours)) == expected
    # Absolute effect per 1,000 from the comparator arms' pooled risk.
    risk = (t1_placebo[0] + s1_placebo[0]) / (t1_placebo[1] + s1_placebo[1])
    assert _number(graph, DIZZINESS, KK.comparatorRiskPer1000) == pytest.approx(1000 * risk, abs=1e-4)
    assert _number(graph, DIZZINESS, KK.absoluteEffectPer1000) == pytest.approx(
        1000 * risk * (math.exp(pooled) - 1), abs=1e-3
    )
    # 641 participants in two randomized trials, none with a complete low-risk judgement recorded: one
    # level down for risk of bias, nothing else.
    assert graph.value(DIZZINESS, KK.certainty) == KK.CertaintyModerate
    domains = {str(graph.value(r, KK.certaintyDomain)) for r in graph.objects(DIZZINESS, KK.certaintyReason)}
    assert domains == {"risk-of-bias"}


@pytest.mark.parametrize(
    ("node", "args"),
    [
        (
            DIZZINESS,
            ["--measure", "risk-ratio", "--construct", "adverse-event", "--harm", "dizziness", "--condition", TRD],
        ),
        (
            MADRS_DAY_28,
            ["--measure", "mean-difference", "--construct", "depressive-symptoms", "--time-min", "7.000000001",
             "--time-max", "28", "--condition", TRD],
        ),
        (  # three trials, none with an n recorded on its contrast: participants 0, unknown 3
            KKR["pooled-esketamine-nasal-spray-mdd-with-acute-suicidal-ideation-or-behavior-depressive-symptoms"
                "-inert-placebo-up-to-1-day"],
            ["--measure", "mean-difference", "--construct", "depressive-symptoms", "--time-max", "1",
             "--condition", "mdd-with-acute-suicidal-ideation-or-behavior"],
        ),
    ],
)  # fmt: skip
def test_a_pooled_estimate_is_what_the_pool_command_answers(graph: Graph, node, args: list[str]) -> None:
    common = ["--drug", "esketamine-nasal-spray"]
    done = CliRunner().invoke(pool_command, [*args, *common, "--comparison", "inert-placebo", "--format", "json"])
    assert done.exit_code == 0, done.output
    got = json.loads(done.output)
    summary = got["summary"]
    scale = summary.get("ratio") or summary
    assert _number(graph, node, KK.value) == pytest.approx(scale["estimate"], abs=1e-5)
    assert _number(graph, node, KK.ciLower) == pytest.approx(scale["ci_lower"], abs=1e-5)
    assert _number(graph, node, KK.ciUpper) == pytest.approx(scale["ci_upper"], abs=1e-5)
    assert _number(graph, node, KK.i2) == pytest.approx(summary["i2"], abs=1e-5)
    assert _number(graph, node, KK.pooledStudyCount) == summary["k"]
    assert _number(graph, node, KK.participantCount) == summary["n"]
    assert (graph.value(node, KK.unknownSizeStudyCount) or Literal(0)).toPython() == summary["n_unknown_count"]
    assert str(graph.value(node, KK.favours)) == summary["favours"]
    ids = {part for row in got["included"] for part in row["result_id"].split("+")}
    assert {str(r).rsplit("/", 1)[-1] for r in graph.objects(node, KK.includesResult)} == ids
    rules = {str(graph.value(i, KK.selectionRule)) for i in graph.objects(node, KK.inclusion)}
    assert all(any(row["rule"] in rule for rule in rules) for row in got["included"])


def test_the_pooled_estimates_conform_to_their_shapes_and_a_broken_one_does_not(graph: Graph, layout: Layout) -> None:
    import pyshacl

    shapes = Graph().parse(layout.ontology_dir / "shapes.ttl", format="turtle")
    conforms, _, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
    assert conforms, text[:2000]
    broken = Graph()
    for triple in graph:
        broken.add(triple)
    broken.remove((DIZZINESS, KK.certainty, None))
    conforms, _, text = pyshacl.validate(broken, shacl_graph=shapes, inference="none", advanced=False)
    assert not conforms
    assert "has no certainty" in text


# --- the same bytes every time --------------------------------------------------------------------


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return graph_rows()


def test_the_same_rows_in_any_order_give_the_same_bytes(rows: list[dict], curated) -> None:
    """tests/test_build.py's test_build_is_deterministic checks the whole build (these nodes are in its
    files); here the row order, which a store need not keep, must not change a byte either."""
    first = canonical_bytes(pooled_estimate_graph(curated, rows), "nt")
    shuffled = list(rows)
    random.Random(17).shuffle(shuffled)
    second = canonical_bytes(pooled_estimate_graph(curated, shuffled), "nt")
    assert first == second
    assert b"PooledEstimate" in first


def test_windows_split_the_days() -> None:
    assert [window_of(d) for d in (0.04, 1, 1.5, 7, 7.5, 28, 28.5, 56)] == [
        "up-to-1-day", "up-to-1-day", "2-to-7-days", "2-to-7-days", "8-to-28-days", "8-to-28-days",
        "over-28-days", "over-28-days",
    ]  # fmt: skip
    assert window_of(None) is None


# --- the certainty rules on hand-made inputs ------------------------------------------------------


def _reasons(c) -> dict[str, int]:
    return {r.domain: r.levels for r in c.reasons}


def test_randomized_trials_with_no_concern_stay_high() -> None:
    c = rate([StudyInput("a", 150, "low"), StudyInput("b", 100, "low")], i2=75.0)  # 75% is not over 75%
    assert (c.level, c.reasons, c.rank) == ("high", (), 4)


def test_risk_of_bias_is_weighted_by_participants() -> None:
    # 150 of 200 = 75% at low risk: no move; 149 of 200: one level.
    assert "risk-of-bias" not in _reasons(rate([StudyInput("a", 150, "low"), StudyInput("b", 50, "not low")], i2=0.0))
    c = rate([StudyInput("a", 149, "low"), StudyInput("b", 51, "not low")], i2=0.0)
    assert _reasons(c) == {"risk-of-bias": 1}
    assert "74%" in c.reasons[0].text and "149 of 200" in c.reasons[0].text


def test_risk_of_bias_not_reported_counts_as_not_low() -> None:
    c = rate([StudyInput("a", 300, None), StudyInput("b", 300, None)], i2=0.0)
    assert (c.level, _reasons(c)) == ("moderate", {"risk-of-bias": 1})
    assert "no risk-of-bias judgement recorded" in c.reasons[0].text


def test_a_trial_is_low_only_when_every_domain_of_its_tool_is_low() -> None:
    rob1 = ["random-sequence-generation", "allocation-concealment", "blinding-participants-personnel",
            "blinding-outcome-assessment", "incomplete-outcome-data", "selective-reporting", "other-bias"]  # fmt: skip
    all_low = [("rob-1", d, "low") for d in rob1]
    assert trial_risk_of_bias(all_low) == "low"
    assert trial_risk_of_bias(all_low[:-1]) == "not low"  # one domain not read
    assert trial_risk_of_bias([*all_low[:-1], ("rob-1", "other-bias", "unclear")]) == "not low"
    assert trial_risk_of_bias([("rob-2", "overall", "some-concerns")]) == "not low"
    assert trial_risk_of_bias([("rob-2", "overall", "low")]) == "low"
    assert trial_risk_of_bias([]) is None
    records = [{"judged_study": "s", "rob_tool": "rob-1", "bias_domain": d, "judgement": "low"} for d in rob1]
    assert risk_of_bias_by_study(records) == {"s": "low"}


def test_inconsistency_moves_one_level_over_75_percent() -> None:
    studies = [StudyInput("a", 150, "low"), StudyInput("b", 150, "low")]
    c = rate(studies, i2=75.1)
    assert (c.level, _reasons(c)) == ("moderate", {"inconsistency": 1})
    assert "75.1%" in c.reasons[0].text


@pytest.mark.parametrize(
    ("n", "levels"), [(200, 0), (199, 1), (100, 1), (99, 2), (1, 2)]
)  # fmt: skip
def test_imprecision_follows_pollocks_participant_bands(n: int, levels: int) -> None:
    c = rate([StudyInput("a", n - n // 2, "low"), StudyInput("b", n // 2, "low")], i2=0.0)
    assert _reasons(c).get("imprecision", 0) == levels


def test_studies_with_unknown_n_add_no_participants_and_the_reason_says_so() -> None:
    c = rate([StudyInput("a", 120, "low"), StudyInput("b", None, "low")], i2=0.0)
    assert _reasons(c) == {"imprecision": 1}
    assert "1 study whose n is unknown" in c.reasons[0].text


def test_indirectness_moves_only_when_the_data_say_so() -> None:
    studies = [StudyInput("a", 300, "low"), StudyInput("b", 300, "low")]
    assert rate(studies, i2=0.0).level == "high"
    c = rate(studies, i2=0.0, indirectness=["active and inert placebo pooled as one"])
    assert (c.level, _reasons(c)) == ("moderate", {"indirectness": 1})


def test_the_level_floors_at_very_low() -> None:
    c = rate([StudyInput("a", 20, None), StudyInput("b", 20, None)], i2=90.0, indirectness=["rolled up"])
    assert sum(r.levels for r in c.reasons) == 5
    assert (c.level, c.rank) == ("very low", 1)


def test_non_randomized_evidence_starts_low() -> None:
    c = rate([StudyInput("a", 300, "low", randomized=False), StudyInput("b", 300, "low")], i2=0.0)
    assert (c.start, c.level) == ("low", "low")
    assert "not a randomized trial (a)" in c.start_reason
    assert rate([StudyInput("a", 300, "low"), StudyInput("b", 300, "low")], i2=0.0).start_reason == ""


def test_one_study_is_rated_without_inconsistency() -> None:
    c = rate_single_study("s", 150, "low")
    assert (c.level, _reasons(c)) == ("moderate", {"imprecision": 1})
    assert rate_single_study("s", 500, "low").level == "high"
    assert _reasons(rate_single_study("s", 500, None)) == {"risk-of-bias": 1}


def _funnel(asymmetric: bool) -> tuple[list[float], list[float]]:
    """Twelve studies; in the asymmetric set the small ones (large variance) show larger effects."""
    variances = [0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6]
    wobble = [0.03, -0.02, 0.04, -0.05, 0.01, -0.03, 0.05, -0.01, 0.02, -0.04, 0.03, -0.02]
    effects = [
        0.2 + w + (1.5 * math.sqrt(v) if asymmetric else 0.0) for w, v in zip(wobble, variances, strict=True)
    ]
    return effects, variances


def test_eggers_test_matches_an_independent_regression() -> None:
    effects, variances = _funnel(asymmetric=True)
    precision = [1 / math.sqrt(v) for v in variances]
    deviate = [e / math.sqrt(v) for e, v in zip(effects, variances, strict=True)]
    fit = stats.linregress(precision, deviate)
    p = 2 * stats.t.sf(abs(fit.intercept / fit.intercept_stderr), len(effects) - 2)
    assert egger_p(effects, variances) == pytest.approx(p, rel=1e-9)


def test_publication_bias_is_assessed_only_from_ten_studies() -> None:
    effects, variances = _funnel(asymmetric=True)
    studies = [StudyInput(str(i), 300, "low") for i in range(len(effects))]
    c = rate(studies, i2=0.0, effects=effects, variances=variances)
    assert _reasons(c) == {"publication-bias": 1}
    assert "Egger" in c.reasons[0].text
    few = rate(studies[:9], i2=0.0, effects=effects[:9], variances=variances[:9])
    assert "publication-bias" not in _reasons(few)
    effects, variances = _funnel(asymmetric=False)
    assert "publication-bias" not in _reasons(rate(studies, i2=0.0, effects=effects, variances=variances))
