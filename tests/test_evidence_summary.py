"""The build's evidence summaries: which way a study's primary results point, and what a summary
counts, on hand-made records whose answers are worked out by hand below."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rdflib import RDF, RDFS, Graph

from ketamine_kg.build.evidence_summary import evidence_summary_graph, study_direction, summarize
from ketamine_kg.rdf.vocabulary import KK, KKR


def result(**fields):
    base = dict(study="s", outcome="madrs", endpoint_role="primary", subgroup=None, measure="mean-difference",
                contrast_order="intervention-minus-comparator", value=None, ci_lower=None, ci_upper=None, p_value=None)
    base.update(fields)
    return SimpleNamespace(**base)


LOWER = {"madrs": "lower", "response": "higher", "relapse": "lower"}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # MADRS drug minus placebo -7.95 (-12.71 to -3.20): lower is better, CI below 0.
        (dict(value=-7.95, ci_lower=-12.71, ci_upper=-3.20), "favours drug"),
        # The same figure printed as placebo minus drug (+7.95, 3.20 to 12.71): flipped first.
        (dict(value=7.95, ci_lower=3.20, ci_upper=12.71, contrast_order="comparator-minus-intervention"), "favours drug"),
        # KARMA-Dep 2 style: -3.16 (-8.54 to 2.22) includes 0.
        (dict(value=-3.16, ci_lower=-8.54, ci_upper=2.22), "neither"),
        # Higher on a lower-is-better scale with a clear CI favours the comparator.
        (dict(value=4.0, ci_lower=1.0, ci_upper=7.0), "favours comparator"),
        # Response OR 2.18 (1.21 to 4.14), more responders is better.
        (dict(outcome="response", measure="odds-ratio", contrast_order="intervention-over-comparator", value=2.18,
              ci_lower=1.21, ci_upper=4.14), "favours drug"),
        # Relapse HR placebo over drug 2.0 (1.25 to 4.0): inverted to 0.5 (0.25 to 0.8), fewer relapses with the drug.
        (dict(outcome="relapse", measure="hazard-ratio", contrast_order="comparator-over-intervention", value=2.0,
              ci_lower=1.25, ci_upper=4.0), "favours drug"),
        # No CI: the p value decides; p = 0.25 is no clear difference.
        (dict(value=-3.0, p_value=0.25), "neither"),
        # not-stated order, a secondary result, a subgroup, an arm-level figure: nothing readable.
        (dict(value=-7.0, ci_lower=-9.0, ci_upper=-5.0, contrast_order="not-stated"), "not determinable"),
        (dict(value=-7.0, ci_lower=-9.0, ci_upper=-5.0, endpoint_role="secondary"), "not determinable"),
        (dict(value=-7.0, ci_lower=-9.0, ci_upper=-5.0, subgroup="aged 65-74"), "not determinable"),
        (dict(value=-16.5, measure="mean-change", contrast_order=None), "not determinable"),
        # An outcome with no better direction cannot be read either.
        (dict(outcome="unknown", value=-7.0, ci_lower=-9.0, ci_upper=-5.0), "not determinable"),
    ],
)
def test_direction_of_one_primary_result(fields, expected) -> None:
    assert study_direction([result(**fields)], LOWER) == expected


def test_primary_results_that_disagree_are_mixed() -> None:
    favours = result(value=-7.95, ci_lower=-12.71, ci_upper=-3.20)
    neither = result(value=-3.16, ci_lower=-8.54, ci_upper=2.22)
    assert study_direction([favours, neither], LOWER) == "mixed"
    assert study_direction([favours, favours], LOWER) == "favours drug"


def _study(id, design, condition, n=None, n_participants=None):
    return SimpleNamespace(id=id, design=design, drug="ketamine", condition=condition, n_randomized=n,
                           n_participants=n_participants)


@pytest.fixture
def tiny():
    """TRD under MDD; at TRD a meta-analysis of 500 and two RCTs of 40 and 60; at MDD one open-label trial of 10."""
    graph = Graph()
    for c in ("trd", "mdd"):
        graph.add((KKR[c], RDF.type, KK.MedicalCondition))
    graph.add((KKR.trd, RDFS.subClassOf, KKR.mdd))
    studies = [
        _study("ma", "meta-analysis", "trd", n_participants=500),
        _study("rct1", "randomized-controlled-trial", "trd", n=40),
        _study("rct2", "randomized-controlled-trial", "trd", n=60),
        _study("ol", "open-label-trial", "mdd", n=10),
    ]
    results = [result(study="rct1", value=-7.95, ci_lower=-12.71, ci_upper=-3.20)]
    entities = [SimpleNamespace(id="madrs", label="MADRS", better_when="lower"),
                SimpleNamespace(id="ketamine", label="ketamine", better_when=None),
                SimpleNamespace(id="trd", label="TRD", better_when=None),
                SimpleNamespace(id="mdd", label="MDD", better_when=None)]
    return SimpleNamespace(studies=studies, results=results, entities=entities), graph


def test_summaries_at_own_condition_and_rolled_up(tiny) -> None:
    cur, graph = tiny
    got = {(s.condition, s.rolled_up): s for s in summarize(cur, graph)}
    assert set(got) == {("trd", False), ("mdd", False), ("mdd", True)}
    trd = got[("trd", False)]
    assert trd.strongest == "meta-analysis"
    assert trd.by_bucket == {"meta-analysis": 1, "randomized controlled trial": 2}
    assert trd.trial_participants == 100  # 40 + 60; the meta-analysis's 500 are not added on top
    assert trd.largest_meta_analysis == 500
    assert trd.evidence_level == KK.EvidenceMetaAnalysis
    assert trd.directions == {"ma": "not determinable", "rct1": "favours drug", "rct2": "not determinable"}
    assert got[("mdd", False)].strongest == "non-randomized trial"
    rolled = got[("mdd", True)]
    assert sorted(s.id for s in rolled.studies) == ["ma", "ol", "rct1", "rct2"]
    assert rolled.trial_participants == 110


def test_summary_graph_is_the_same_every_time(tiny) -> None:
    cur, graph = tiny
    first = evidence_summary_graph(cur, graph)
    second = evidence_summary_graph(cur, graph)
    assert sorted(first) == sorted(second)
    node = KKR["evidence-summary-ketamine--mdd-rolled-up"]
    assert first.value(node, KK.strongestDesignWords).toPython() == "meta-analysis"
    assert first.value(node, KK.rolledUp).toPython() is True
    assert first.value(node, KK.studiesFavouringDrug).toPython() == 1
