"""Issue 16: every result in the racemic, added, SI/anxiety/PTSD and SUD files says what its figure means.

Record by record (each failure names the result): a between-group figure says which arm minus (or
over) which (``contrast_order``), the outcome it is on says which way is better (``better_when``), an
endpoint (response, remission, relapse, time to relapse) says what responded or relapsed (an
``instrument`` or a ``construct``), and a trial's figure says whether it is the trial's primary outcome
(``endpoint_role``). Meta-analysis rows carry no endpoint_role: a pooled figure is no trial's endpoint.

Run as a script for the tally the issue asks for (results annotated, harmonizable vs not-stated):
    python tests/test_contrast_order_racemic.py
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

CURATED = Path(__file__).resolve().parents[1] / "graph" / "curated"
FILES = ("evidence_racemic.yaml", "evidence_added_results.yaml", "evidence_si_anx_ptsd.yaml", "evidence_sud.yaml")
BETWEEN_GROUP = {
    "mean-difference", "ls-mean-difference", "smd", "smd-hedges-g", "smd-cohens-d", "odds-ratio", "risk-ratio",
    "hazard-ratio", "risk-difference", "median-difference", "nnt",
}  # fmt: skip
RATIOS = {"odds-ratio", "risk-ratio", "hazard-ratio"}
ENDPOINTS = {"response", "remission", "relapse", "time-to-relapse"}
META = {"meta-analysis", "ipd-meta-analysis"}


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((CURATED / name).read_text(encoding="utf-8")) or {}


def _all_curated() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    studies: dict[str, dict[str, Any]] = {}
    outcomes: dict[str, dict[str, Any]] = {}
    for path in sorted(CURATED.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            continue
        studies.update({s["id"]: s for s in data.get("studies") or []})
        outcomes.update({e["id"]: e for e in data.get("entities") or [] if e.get("type") == "Outcome"})
    return studies, outcomes


STUDIES, OUTCOMES = _all_curated()
RESULTS = [(name, r) for name in FILES for r in _load(name).get("results") or []]


def _is_between_group(r: dict[str, Any]) -> bool:
    return r.get("measure") in BETWEEN_GROUP and not r.get("arm_role")


@pytest.mark.parametrize("name,result", RESULTS, ids=[f"{n}:{r['id']}" for n, r in RESULTS])
def test_result_says_what_its_figure_means(name: str, result: dict[str, Any]) -> None:
    rid, order = result["id"], result.get("contrast_order")
    outcome = OUTCOMES.get(result.get("outcome", ""))
    assert outcome is not None, f"{rid}: outcome {result.get('outcome')} is no Outcome entity"
    assert outcome.get("better_when") in {"lower", "higher"}, f"{rid}: outcome {outcome['id']} has no better_when"
    if _is_between_group(result):
        assert order, f"{rid}: between-group {result['measure']} without contrast_order"
        if result["measure"] in RATIOS:
            assert order in {"intervention-over-comparator", "comparator-over-intervention", "not-stated"}, rid
        else:
            assert order in {"intervention-minus-comparator", "comparator-minus-intervention", "not-stated"}, rid
    else:
        assert order is None, f"{rid}: a per-arm or single-group figure has no contrast to order"
    if result.get("outcome") in ENDPOINTS:
        assert result.get("instrument") or result.get("measures"), f"{rid}: endpoint without instrument or construct"
    design = STUDIES[result["study"]].get("design")
    if design in META:
        assert result.get("endpoint_role") in {None, "post-hoc"}, f"{rid}: a pooled figure is no trial's endpoint"
    else:
        assert result.get("endpoint_role"), f"{rid}: trial result without endpoint_role"


def test_every_outcome_in_outcomes_yaml_is_annotated() -> None:
    for entity in _load("outcomes.yaml")["entities"]:
        assert entity.get("better_when") in {"lower", "higher"}, entity["id"]
        if entity["id"] in ENDPOINTS:
            assert "measures" not in entity, f"{entity['id']}: an endpoint's construct comes from its result"
        else:
            assert entity.get("measures"), entity["id"]


def test_signs_recorded_as_positive_favours_ketamine_are_comparator_minus_intervention() -> None:
    """The three rows issue 16 names as printed 'positive = better' are flagged so pooling flips them."""
    by_id = {r["id"]: r for _, r in RESULTS}
    for rid in ("res-murrough-2013-madrs-24h-md", "res-lapidus-2014-madrs-24h"):
        assert by_id[rid]["value"] > 0, rid  # printed as read
        assert by_id[rid]["contrast_order"] == "comparator-minus-intervention", rid


def tally() -> dict[str, Counter[str]]:
    """Per file: results, between-group rows by contrast_order, comparison classes, subgroups, primaries."""
    out: dict[str, Counter[str]] = {}
    for name in FILES:
        c: Counter[str] = Counter()
        for r in _load(name).get("results") or []:
            c["results"] += 1
            if _is_between_group(r):
                c["between-group"] += 1
                c[f"contrast_order={r.get('contrast_order')}"] += 1
            if r.get("comparison"):
                c[f"comparison={r['comparison']}"] += 1
            if r.get("subgroup"):
                c["subgroup"] += 1
            if r.get("endpoint_role"):
                c[f"endpoint_role={r['endpoint_role']}"] += 1
            if r.get("analysis_set"):
                c[f"analysis_set={r['analysis_set']}"] += 1
            if r.get("measures"):
                c["construct on result"] += 1
        out[name] = c
    return out


if __name__ == "__main__":
    total: Counter[str] = Counter()
    for file_name, counts in tally().items():
        total.update(counts)
        print(f"{file_name}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print("all four files: " + ", ".join(f"{k} {v}" for k, v in sorted(total.items())))
