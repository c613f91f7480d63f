"""Evidence summaries computed from the study base: one ``kk:EvidenceSummary`` per drug form and
condition that has studies (at the study's own condition, and rolled up to broader conditions)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef

from ketamine_kg.evidence.selection import better_for_measure
from ketamine_kg.rdf.vocabulary import KK, KKR

__all__ = [
    "DESIGN_BUCKETS",
    "Summary",
    "evidence_summary_graph",
    "study_direction",
    "summarize",
]

#: A study's design -> the bucket it counts in, strongest first. Open-label trials are counted as
#: non-randomized (the schema keeps a randomized open-label trial as randomized-controlled-trial).
DESIGN_BUCKETS: dict[str, str] = {
    "meta-analysis": "meta-analysis",
    "ipd-meta-analysis": "meta-analysis",
    "randomized-controlled-trial": "randomized controlled trial",
    "non-randomized-trial": "non-randomized trial",
    "open-label-trial": "non-randomized trial",
    "observational-study": "observational study",
}
#: Bucket -> (its rank, strongest highest; the ontology's study design individual; the count property).
_BUCKETS: dict[str, tuple[int, URIRef, URIRef]] = {
    "meta-analysis": (4, KK.MetaAnalysis, KK.metaAnalysisCount),
    "randomized controlled trial": (3, KK.RandomizedControlledTrial, KK.randomizedTrialCount),
    "non-randomized trial": (2, KK.NonRandomizedTrial, KK.nonRandomizedStudyCount),
    "observational study": (1, KK.ObservationalStudy, KK.observationalStudyCount),
}

_DIFFERENCES = {
    "mean-difference",
    "ls-mean-difference",
    "median-difference",
    "smd-hedges-g",
    "smd-cohens-d",
    "smd",
    "risk-difference",
}
_RATIOS = {"odds-ratio", "risk-ratio", "hazard-ratio"}
#: Direction word -> the property counting the studies whose primary results point that way.
_DIRECTIONS: dict[str, URIRef] = {
    "favours drug": KK.studiesFavouringDrug,
    "favours comparator": KK.studiesFavouringComparator,
    "neither": KK.studiesFavouringNeither,
    "mixed": KK.studiesWithMixedDirection,
    "not determinable": KK.studiesWithoutDirection,
}


def _difference_on_drug_scale(result: Any, order: str) -> tuple[float, float | None, float | None] | None:
    """Decides a difference as drug minus comparator (negated, CI swapped, when printed the other way),
    or None for an order that does not fit a difference."""
    if order not in ("intervention-minus-comparator", "comparator-minus-intervention"):
        return None
    value, lo, hi = result.value, result.ci_lower, result.ci_upper
    if order == "comparator-minus-intervention":
        value = -value
        lo, hi = (-hi if hi is not None else None), (-lo if lo is not None else None)
    return value, lo, hi


def _ratio_on_drug_scale(result: Any, order: str) -> tuple[float, float | None, float | None] | None:
    """Decides a ratio as drug over comparator (inverted, CI swapped, when printed the other way), or
    None for an order that does not fit a ratio or a figure at or below 0 that cannot be inverted."""
    if order not in ("intervention-over-comparator", "comparator-over-intervention"):
        return None
    value, lo, hi = result.value, result.ci_lower, result.ci_upper
    if order == "comparator-over-intervention":
        if value <= 0 or (lo is not None and lo <= 0) or (hi is not None and hi <= 0):
            return None
        value = 1 / value
        lo, hi = (1 / hi if hi is not None else None), (1 / lo if lo is not None else None)
    return value, lo, hi


def _significant(lo: float | None, hi: float | None, null: float, p_value: float | None) -> bool | None:
    """Decides whether a figure differs from no effect: by its CI when it has both bounds, else by
    p < 0.05; None when it has neither."""
    if lo is not None and hi is not None:
        return lo > null or hi < null
    if p_value is not None:
        return p_value < 0.05
    return None


def _result_direction(result: Any, better_when: str | None) -> str | None:
    """favours drug / favours comparator / neither for one between-group figure, or None when it
    cannot be read (no contrast order, no better_when, no CI and no p value)."""
    order = result.contrast_order
    if better_when not in ("lower", "higher") or order in (None, "not-stated") or result.value is None:
        return None
    if result.measure in _DIFFERENCES:
        null = 0.0
        figure = _difference_on_drug_scale(result, order)
    elif result.measure in _RATIOS:
        null = 1.0
        figure = _ratio_on_drug_scale(result, order)
    else:
        return None
    if figure is None:
        return None
    value, lo, hi = figure
    significant = _significant(lo, hi, null, result.p_value)
    if significant is None:
        return None
    if not significant or value == null:
        return "neither"
    drug_higher = value > null
    return "favours drug" if drug_higher == (better_when == "higher") else "favours comparator"


def study_direction(results: Iterable[Any], better_when: dict[str, str], time_to_event: Collection[str] = ()) -> str:
    """The direction of a study's primary results (whole population only): one word of
    :data:`_DIRECTIONS`.

    :param better_when: outcome id -> its better_when.
    :param time_to_event: the ids of the outcomes marked ``time_to_event`` (a hazard ratio on them
        is the event's hazard, see :func:`~ketamine_kg.evidence.selection.better_for_measure`).
    """
    seen = set()
    for result in results:
        if result.endpoint_role != "primary" or result.subgroup:
            continue
        better = better_for_measure(
            result.measure,
            result.outcome,
            better_when.get(result.outcome),
            time_to_event=result.outcome in time_to_event,
        )
        direction = _result_direction(result, better if isinstance(better, str) else None)
        if direction is not None:
            seen.add(direction)
    if not seen:
        return "not determinable"
    return seen.pop() if len(seen) == 1 else "mixed"


@dataclass
class Summary:
    """What the study base says about one drug form in one condition."""

    drug: str
    condition: str
    rolled_up: bool
    studies: list[Any] = field(default_factory=list)
    directions: dict[str, str] = field(default_factory=dict)

    @property
    def by_bucket(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for study in self.studies:
            counts[DESIGN_BUCKETS[study.design]] += 1
        return dict(counts)

    @property
    def strongest(self) -> str:
        return max(self.by_bucket, key=lambda bucket: _BUCKETS[bucket][0])

    @property
    def evidence_level(self) -> URIRef:
        """The claim evidence level this design count corresponds to."""
        strongest = self.strongest
        if strongest == "meta-analysis":
            return KK.EvidenceMetaAnalysis
        if strongest == "randomized controlled trial":
            return KK.EvidenceMultipleRCTs if self.by_bucket[strongest] > 1 else KK.EvidenceSingleRCT
        return KK.EvidenceNonRandomized

    @property
    def trial_participants(self) -> int:
        """Participants randomized or enrolled in the primary studies (meta-analyses left out, so
        that nobody is counted twice); studies that give no count add nothing."""
        return sum(
            s.n_randomized or s.n_participants or 0 for s in self.studies if DESIGN_BUCKETS[s.design] != "meta-analysis"
        )

    @property
    def largest_meta_analysis(self) -> int | None:
        sizes = [
            s.n_participants for s in self.studies if DESIGN_BUCKETS[s.design] == "meta-analysis" and s.n_participants
        ]
        return max(sizes) if sizes else None


def _ancestors(graph: Graph, conditions: set[str]) -> dict[str, set[str]]:
    """Condition id -> the ids of its broader conditions (transitively, through rdfs:subClassOf)."""
    prefix = str(KKR)
    out: dict[str, set[str]] = {}
    for condition in conditions:
        node = KKR[condition]
        found = set()
        for parent in graph.transitive_objects(node, RDFS.subClassOf):
            if parent != node and str(parent).startswith(prefix) and (parent, RDF.type, KK.MedicalCondition) in graph:
                found.add(str(parent)[len(prefix) :])
        out[condition] = found
    return out


def _study_directions(curation: Any, studies: list[Any]) -> dict[str, str]:
    """Study id -> which way its primary results point, read with each outcome's better_when and
    time_to_event from the curated Outcome entities."""
    better_when = {e.id: e.better_when for e in curation.entities if getattr(e, "better_when", None)}
    timed = {e.id for e in curation.entities if getattr(e, "time_to_event", False)}
    results_by_study: dict[str, list[Any]] = defaultdict(list)
    for result in curation.results:
        results_by_study[result.study].append(result)
    return {s.id: study_direction(results_by_study[s.id], better_when, timed) for s in studies}


def _rolled_up(graph: Graph, own: dict[tuple[str, str], list[Any]]) -> dict[tuple[str, str], list[Any]]:
    """(drug, broader condition) -> the studies of every narrower condition under it."""
    ancestors = _ancestors(graph, {c for _, c in own})
    rolled: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for (drug, condition), members in own.items():
        for broader in ancestors[condition]:
            rolled[(drug, broader)].extend(members)
    return rolled


def summarize(curation: Any, graph: Graph) -> list[Summary]:
    """Every drug form x condition summary, own-condition ones and rolled-up ones, in a fixed order.

    :param graph: the ontology and asserted graph (with the reasoner's subclass axioms), for the
        condition hierarchy.
    """
    studies = [s for s in curation.studies if s.drug and s.condition and s.design in DESIGN_BUCKETS]
    direction = _study_directions(curation, studies)
    own: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for study in studies:
        own[(study.drug, study.condition)].append(study)
    summaries = []
    for key, members in sorted(own.items()):
        summaries.append(Summary(key[0], key[1], False, sorted(members, key=lambda s: s.id)))
    for key, members in sorted(_rolled_up(graph, own).items()):
        # The rolled-up summary counts the broader condition's own studies and those of every
        # narrower condition.
        everyone = {s.id: s for s in members + own.get(key, [])}
        summaries.append(Summary(key[0], key[1], True, sorted(everyone.values(), key=lambda s: s.id)))
    for summary in summaries:
        summary.directions = {s.id: direction[s.id] for s in summary.studies}
    return summaries


def _node(summary: Summary) -> URIRef:
    tail = "-rolled-up" if summary.rolled_up else ""
    return KKR[f"evidence-summary-{summary.drug}--{summary.condition}{tail}"]


def evidence_summary_graph(curation: Any, graph: Graph) -> Graph:
    """The summaries as triples (the same bytes every build: every value is derived from sorted data)."""
    out = Graph()
    labels = {e.id: e.label for e in curation.entities}
    integer = XSD.integer
    for summary in summarize(curation, graph):
        node = _node(summary)
        where = "rolled up from narrower conditions" if summary.rolled_up else "at the studies' own condition"
        out.add((node, RDF.type, KK.EvidenceSummary))
        drug_label = labels.get(summary.drug, summary.drug)
        condition_label = labels.get(summary.condition, summary.condition)
        out.add((node, RDFS.label, Literal(f"evidence summary: {drug_label} in {condition_label} ({where})")))
        out.add((node, KK.summaryDrug, KKR[summary.drug]))
        out.add((node, KK.summaryCondition, KKR[summary.condition]))
        out.add((node, KK.rolledUp, Literal(summary.rolled_up)))
        strongest = summary.strongest
        out.add((node, KK.strongestDesign, _BUCKETS[strongest][1]))
        out.add((node, KK.strongestDesignWords, Literal(strongest)))
        out.add((node, KK.designEvidenceLevel, summary.evidence_level))
        out.add((node, KK.summaryStudyCount, Literal(len(summary.studies), datatype=integer)))
        for bucket, (_, _, prop) in _BUCKETS.items():
            out.add((node, prop, Literal(summary.by_bucket.get(bucket, 0), datatype=integer)))
        out.add((node, KK.trialParticipantCount, Literal(summary.trial_participants, datatype=integer)))
        largest = summary.largest_meta_analysis
        if largest is not None:
            out.add((node, KK.largestMetaAnalysisParticipants, Literal(largest, datatype=integer)))
        for word, prop in _DIRECTIONS.items():
            count = sum(1 for d in summary.directions.values() if d == word)
            out.add((node, prop, Literal(count, datatype=integer)))
        for study in summary.studies:
            out.add((node, KK.summarizesStudy, KKR[study.id]))
    return out
