"""Every named query answers what the curated data says.

Each checker below recomputes a query's answer from the curated YAML in plain Python and compares
it with what the query returns on the built graph. A query without a checker fails
``test_every_query_has_a_checker``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from ketamine_kg.catalogue import load_catalogue
from ketamine_kg.compile import EVIDENCE
from ketamine_kg.curation import Curation
from ketamine_kg.engine import QueryWorker
from ketamine_kg.queries import run_named

KKR = "kkr:"
EVIDENCE_RANK = {"meta-analysis": 5, "multiple-rcts": 4, "single-rct": 3, "nonrandomized": 2, "case-reports": 1, "preclinical": 0}
STATUS_RANK = {"approved": 4, "guideline-established": 3, "off-label": 2, "investigational": 1}


def label(cur: Curation, slug: str) -> str:
    return cur.entity_index[slug].label


def ancestors(cur: Curation, slug: str) -> list[str]:
    out, node = [], cur.entity_index[slug].parent
    while node:
        out.append(node)
        node = cur.entity_index[node].parent
    return out


def under(cur: Curation, slug: str, root: str) -> bool:
    return slug == root or root in ancestors(cur, slug)


def forms_of(cur: Curation, drug: str) -> set[str]:
    """A drug form, its active ingredient, and the products that contain it."""
    e = cur.entity_index[drug]
    forms = {drug}
    if e.active_ingredient:
        forms.add(e.active_ingredient)
    forms |= {p.id for p in cur.entities if p.active_ingredient == drug}
    return forms


def ids(rows: list[dict[str, str]], key: str) -> set[str]:
    return {r[key].removeprefix(KKR) for r in rows if key in r}


Checker = Callable[[Curation, list[dict[str, str]]], None]
CHECKERS: dict[str, Checker] = {}


def checks(name: str) -> Callable[[Checker], Checker]:
    def register(fn: Checker) -> Checker:
        CHECKERS[name] = fn
        return fn

    return register


@checks("approved-uses")
def _approved(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = {
        (a.id, label(cur, a.product), label(cur, a.indication) if a.indication else a.indication_text, label(cur, a.agency), a.date.isoformat())
        for a in cur.approvals
    }
    got = {(r["approval"].removeprefix(KKR), r["drugLabel"], r["indication"], r["agencyLabel"], r["date"]) for r in rows}
    assert got == expected
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)


@checks("off-label-and-investigational-uses")
def _off_label(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = {c.id for c in cur.claims if c.regulatory_status in ("off-label", "investigational")}
    assert ids(rows, "claim") == expected
    assert {r["status"] for r in rows} <= {"off-label", "investigational"}


@checks("risks-of-drug")
def _risks(cur: Curation, rows: list[dict[str, str]]) -> None:
    forms = forms_of(cur, "esketamine-nasal-spray")
    expected = {(label(cur, ae.drug), label(cur, ae.effect), ae.frequency_percent) for ae in cur.adverse_effects if ae.drug in forms}
    got = {(r["formLabel"], r["riskLabel"], float(r["frequencyPercent"]) if "frequencyPercent" in r else None) for r in rows}
    assert got == expected
    assert {r["drug"] for r in rows} == {"kkr:esketamine-nasal-spray"}


@checks("monitoring-requirements")
def _monitoring(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = {(m.id, label(cur, risk)) for m in cur.monitoring if m.drug == "esketamine-nasal-spray" for risk in m.mitigates}
    got = {(r["requirement"].removeprefix(KKR), r["mitigatesLabel"]) for r in rows if "mitigatesLabel" in r}
    assert got == expected
    assert ids(rows, "requirement") == {m.id for m in cur.monitoring if m.drug == "esketamine-nasal-spray"}


@checks("alternatives-for-condition")
def _alternatives(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = {(a.treatment, a.regulatory_status) for a in cur.alternatives if a.condition == "treatment-resistant-depression"}
    assert {(r["treatment"].removeprefix(KKR), r["status"]) for r in rows} == expected
    assert all(r.get("kind") for r in rows), "every alternative says what kind of treatment it is"


@checks("sources-for-condition")
def _sources(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = {(c.id, s) for c in cur.claims if under(cur, c.condition, "major-depressive-disorder") for s in c.sources}
    assert {(r["claim"].removeprefix(KKR), r["source"].removeprefix(KKR)) for r in rows} == expected
    by_id = {s.id: s for s in cur.sources}
    for r in rows:
        source = by_id[r["source"].removeprefix(KKR)]
        assert r.get("pmid") == source.pmid and r.get("doi") == source.doi


@checks("routes-and-doses")
def _doses(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = {d.id for d in cur.dose_regimens} | {c.id for c in cur.claims if c.route and c.dose}
    assert ids(rows, "record") == expected


@checks("contraindications")
def _contraindications(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = {(c.id, c.label) for c in cur.contraindications if c.drug == "esketamine-nasal-spray"}
    assert {(r["contraindication"].removeprefix(KKR), r["text"]) for r in rows} == expected


@checks("substance-use-disorder-evidence")
def _sud(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = {c.id for c in cur.claims if under(cur, c.condition, "substance-use-disorder")}
    assert ids(rows, "claim") == expected


@checks("mixed-or-negative-evidence")
def _mixed(cur: Curation, rows: list[dict[str, str]]) -> None:
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for c in cur.claims:
        tally[(c.condition, c.drug)][c.direction == "does-not-support"] += 1
    expected = {
        (label(cur, cond), label(cur, drug), "mixed" if sup else "negative")
        for (cond, drug), (sup, neg) in tally.items()
        if neg
    }
    assert {(r["conditionLabel"], r["drugLabel"], r["verdict"]) for r in rows} == expected


@checks("mechanism-of-action")
def _mechanism(cur: Curation, rows: list[dict[str, str]]) -> None:
    assert ids(rows, "statement") == {m.id for m in cur.mechanisms}


@checks("entity-neighbourhood")
def _neighbourhood(cur: Curation, rows: list[dict[str, str]]) -> None:
    triples = {(r["subject"], r["predicate"], r["object"]) for r in rows}
    assert ("kkr:ketamine", "rdfs:label", "ketamine") in triples
    for c in cur.claims:
        if c.drug == "ketamine":
            assert (f"kkr:{c.id}", "kk:drug", "kkr:ketamine") in triples
    for x in cur.xrefs:
        if x.entity == "ketamine":
            assert ("kkr:ketamine", "oboInOwl:hasDbXref", x.curie) in triples


@checks("cross-references")
def _xrefs(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = {(x.curie, x.label_at_source, x.source_url) for x in cur.xrefs if x.entity == "ketamine"}
    assert {(r["curie"], r["labelAtSource"], r["readAt"]) for r in rows} == expected
    assert all(r.get("iri") for r in rows), "every CURIE expands to an IRI"


@checks("condition-hierarchy")
def _hierarchy(cur: Curation, rows: list[dict[str, str]]) -> None:
    conditions = [e for e in cur.entities if e.type == "MedicalCondition"]
    expected = {(e.id, f"kkr:{e.parent}" if e.parent else "kk:MedicalCondition", str(len(ancestors(cur, e.id)) + 1)) for e in conditions}
    assert {(r["condition"].removeprefix(KKR), r["parent"], r["depth"]) for r in rows} == expected


@checks("response-predictors")
def _predictors(cur: Curation, rows: list[dict[str, str]]) -> None:
    assert ids(rows, "finding_record") == {p.id for p in cur.predictors}


@checks("regulatory-timeline")
def _timeline(cur: Curation, rows: list[dict[str, str]]) -> None:
    assert [r["date"] for r in rows] == sorted(a.date.isoformat() for a in cur.approvals)
    assert ids(rows, "approval") == {a.id for a in cur.approvals}


@checks("boxed-warnings")
def _boxed(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = {(label(cur, ae.drug), label(cur, ae.effect)) for ae in cur.adverse_effects if ae.boxed_warning}
    assert {(r["drugLabel"], r["riskLabel"]) for r in rows} == expected


@checks("evidence-by-condition")
def _evidence(cur: Curation, rows: list[dict[str, str]]) -> None:
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for c in cur.claims:
        groups[(label(cur, c.condition), label(cur, c.drug))].append(c)
    expected = {
        (cond, drug, str(len(cs)), str(max(EVIDENCE_RANK[c.evidence_level] for c in cs)), str(max(STATUS_RANK[c.regulatory_status] for c in cs)))
        for (cond, drug), cs in groups.items()
    }
    got = {(r["conditionLabel"], r["drugLabel"], r["claims"], r["bestEvidenceRank"], r["bestStatusRank"]) for r in rows}
    assert got == expected


@checks("landmark-trials")
def _landmarks(cur: Curation, rows: list[dict[str, str]]) -> None:
    designs = {s.id for s in cur.sources if s.design in ("randomized-controlled-trial", "meta-analysis", "systematic-review")}
    expected = {(s, label(cur, c.condition)) for c in cur.claims for s in c.sources if s in designs}
    assert {(r["source"].removeprefix(KKR), r["conditionLabel"]) for r in rows} == expected


@checks("claims-for-drug")
def _claims_for_drug(cur: Curation, rows: list[dict[str, str]]) -> None:
    assert ids(rows, "claim") == {c.id for c in cur.claims if c.drug == "ketamine"}


@checks("treats-edges")
def _treats(cur: Curation, rows: list[dict[str, str]]) -> None:
    pairs = {(c.drug, c.condition) for c in cur.claims}
    established = {
        (c.drug, c.condition) for c in cur.claims
        if c.regulatory_status in ("approved", "guideline-established") and c.direction == "supports"
    }
    expected = {(d, "treats", c) for d, c in established} | {(d, "studied to treat", c) for d, c in pairs - established}
    assert {(r["drug"].removeprefix(KKR), r["relation"], r["condition"].removeprefix(KKR)) for r in rows} == expected


@checks("chronic-and-recreational-harms")
def _harms(cur: Curation, rows: list[dict[str, str]]) -> None:
    chronic = {e.id for e in cur.entities if e.category in ("chronic", "abuse-related")}
    expected = {(label(cur, ae.effect), label(cur, ae.drug), s) for ae in cur.adverse_effects if ae.effect in chronic for s in ae.sources}
    assert {(r["riskLabel"], r["drugLabel"], r["source"].removeprefix(KKR)) for r in rows} == expected


@checks("controlled-substance-schedules")
def _schedules(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = {(label(cur, s.drug), s.schedule, label(cur, s.agency)) for s in cur.schedules}
    assert {(r["drugLabel"], r["schedule"], r["agencyLabel"]) for r in rows} == expected


@checks("unverified-sources")
def _unverified(cur: Curation, rows: list[dict[str, str]]) -> None:
    assert ids(rows, "source") == {s.id for s in cur.sources if not s.verified}


@checks("graph-statistics")
def _statistics(cur: Curation, rows: list[dict[str, str]]) -> None:
    got = {r["measure"]: int(r["count"]) for r in rows}
    assert got["therapeutic-use claims"] == len(cur.claims)
    assert got["sources"] == len(cur.sources)
    assert got["cross-references"] == len(cur.xrefs)
    assert got["regulatory approvals"] == len(cur.approvals)
    assert got["adverse-effect associations"] == len(cur.adverse_effects)
    assert got["alternative-treatment statements"] == len(cur.alternatives)
    assert got["conditions"] == sum(e.type == "MedicalCondition" for e in cur.entities)
    assert got["studies"] == len(cur.studies)
    assert got["studies with at least one result"] == len({r.study for r in cur.results})
    assert got["study results"] == len(cur.results)
    assert got["outcomes (rating scales and endpoints)"] == sum(e.type == "Outcome" for e in cur.entities)
    assert got["entities with at least one identifier"] == len({x.entity for x in cur.xrefs})
    assert [r["measure"] for r in rows] == sorted(r["measure"] for r in rows)



# --- Studies and results (issue 9): every column compared with the curated record. ---------------
NO_EFFECT_AT_ONE = {"odds-ratio", "risk-ratio", "hazard-ratio"}
HOURS_PER_UNIT = {"minute": Decimal(1) / 60, "hour": Decimal(1), "day": Decimal(24), "week": Decimal(168), "month": Decimal("730.5")}


def num(value: object) -> Decimal | None:
    """A number as a comparable Decimal (the graph prints 4.0 as "4"), or None."""
    return None if value is None or value == "" else Decimal(str(value)).normalize()


def text(value: object) -> str | None:
    return None if value is None else str(value)


def studies(cur: Curation) -> dict[str, Any]:
    return {s.id: s for s in cur.studies}


def opt_label(cur: Curation, slug: str | None) -> str | None:
    return label(cur, slug) if slug else None


def result_numbers(r: Any) -> tuple[Decimal | None, ...]:
    return (num(r.time_value), num(r.value), num(r.ci_lower), num(r.ci_upper))


def row_numbers(row: dict[str, str], value: str = "value") -> tuple[Decimal | None, ...]:
    return (num(row.get("timeValue")), num(row.get(value)), num(row.get("ciLower")), num(row.get("ciUpper")))


def assert_sorted(rows: list[dict[str, str]], *keys: str) -> None:
    def key(row: dict[str, str]) -> tuple[Any, ...]:
        return tuple((row.get(k) is not None, num(row[k]) if k in {"timeValue", "hours"} and row.get(k) else row.get(k) or "") for k in keys)
    assert [key(r) for r in rows] == sorted(key(r) for r in rows)


@checks("effect-sizes-for-condition")
def _effect_sizes(cur: Curation, rows: list[dict[str, str]]) -> None:
    root = rows[0]["condition"].removeprefix(KKR)
    by_id = studies(cur)
    expected = set()
    for r in cur.results:
        s = by_id[r.study]
        if r.contrast and s.condition and under(cur, s.condition, root):
            expected.add((
                s.label, opt_label(cur, s.drug), s.comparator_kind, label(cur, r.outcome), r.time_unit, r.measure,
                *result_numbers(r), num(r.p_value), r.p_value_relation, num(r.n_intervention), num(r.n_control),
                r.contrast, str(r.verified).lower(), r.id, s.id,
            ))
    got = {
        (row["studyLabel"], row.get("drugLabel"), row.get("comparatorKind"), row["outcomeLabel"], row.get("timeUnit"),
         row["measure"], *row_numbers(row), num(row.get("pValue")), row.get("pValueRelation"), num(row.get("nIntervention")),
         num(row.get("nControl")), row["contrast"], row["verified"], row["result"].removeprefix(KKR), row["study"].removeprefix(KKR))
        for row in rows
    }
    assert got == expected and len(rows) == len(expected)


@checks("time-course")
def _time_course(cur: Curation, rows: list[dict[str, str]]) -> None:
    outcome = rows[0]["outcome"].removeprefix(KKR)
    by_id = studies(cur)
    expected = {}
    for r in cur.results:
        s = by_id[r.study]
        if r.outcome == outcome and r.contrast and r.time_value is not None and r.time_unit and s.drug:
            hours = Decimal(str(r.time_value)) * HOURS_PER_UNIT[r.time_unit]
            expected[r.id] = (label(cur, s.drug), r.time_unit, r.time_from, r.measure, *result_numbers(r), s.label, round(hours, 3))
    got = {
        row["result"].removeprefix(KKR): (row["drugLabel"], row["timeUnit"], row.get("timeFrom"), row["measure"], *row_numbers(row),
                                          row["studyLabel"], round(Decimal(row["hours"]), 3))
        for row in rows
    }
    assert got == expected and len(rows) == len(expected)
    assert_sorted(rows, "drugLabel")


@checks("response-and-remission-by-arm")
def _rates_by_arm(cur: Curation, rows: list[dict[str, str]]) -> None:
    root = rows[0]["condition"].removeprefix(KKR)
    by_id = studies(cur)
    expected = {
        r.id: (by_id[r.study].label, r.arm, r.arm_role, r.measure, num(r.value), num(r.events), num(r.n), num(r.time_value),
               r.time_unit, opt_label(cur, r.instrument), r.study)
        for r in cur.results
        if r.measure in ("response-rate", "remission-rate") and r.arm and by_id[r.study].condition
        and under(cur, by_id[r.study].condition, root)
    }
    got = {
        row["result"].removeprefix(KKR): (row["studyLabel"], row["arm"], row.get("armRole"), row["measure"], num(row["percent"]),
                                          num(row.get("events")), num(row.get("n")), num(row.get("timeValue")), row.get("timeUnit"),
                                          row.get("instrumentLabel"), row["study"].removeprefix(KKR))
        for row in rows
    }
    assert got == expected and len(rows) == len(expected)
    assert_sorted(rows, "studyLabel", "measure")


def _study_rows(cur: Curation, chosen: list[Any]) -> set[tuple[Any, ...]]:
    """A row per result of each chosen study, or one row for a study without results."""
    out = set()
    for s in chosen:
        head = (s.label, opt_label(cur, s.drug), opt_label(cur, s.condition), s.id)
        found = [r for r in cur.results if r.study == s.id]
        for r in found:
            out.add((*head, label(cur, r.outcome), r.time_unit, r.measure, *result_numbers(r), r.id))
        if not found:
            out.add((*head, None, None, None, None, None, None, None, None))
    return out


def _got_study_rows(rows: list[dict[str, str]]) -> set[tuple[Any, ...]]:
    return {
        (row["studyLabel"], row.get("drugLabel"), row.get("conditionLabel"), row["study"].removeprefix(KKR), row.get("outcomeLabel"),
         row.get("timeUnit"), row.get("measure"), *row_numbers(row), row["result"].removeprefix(KKR) if row.get("result") else None)
        for row in rows
    }


@checks("head-to-head-comparisons")
def _head_to_head(cur: Curation, rows: list[dict[str, str]]) -> None:
    chosen = [s for s in cur.studies if s.comparator_kind == "active-treatment" and s.design not in ("meta-analysis", "ipd-meta-analysis")]
    assert _got_study_rows(rows) == _study_rows(cur, chosen)
    by_study = {s.id: s for s in chosen}
    results = {r.id: r for r in cur.results}
    for row in rows:
        s = by_study[row["study"].removeprefix(KKR)]
        assert (row.get("comparator"), row.get("comparatorTreatmentLabel")) == (s.comparator, opt_label(cur, s.comparator_treatment))
        if row.get("result"):
            r = results[row["result"].removeprefix(KKR)]
            assert (row["contrastOrArm"], num(row.get("pValue"))) == (r.contrast or r.arm, num(r.p_value))


@checks("null-and-negative-results")
def _null_results(cur: Curation, rows: list[dict[str, str]]) -> None:
    by_id = studies(cur)
    expected = {}
    for r in cur.results:
        if not r.contrast or r.value is None:
            continue
        no_effect = 1 if r.measure in NO_EFFECT_AT_ONE else 0
        both = r.ci_lower is not None and r.ci_upper is not None
        exact_p = r.p_value if r.p_value_relation != "less-than" else None
        if both and r.ci_lower <= no_effect <= r.ci_upper:
            why = "confidence interval includes no effect"
        elif not both and exact_p is not None and exact_p >= 0.05:
            why = "p-value of 0.05 or more"
        else:
            continue
        s = by_id[r.study]
        expected[r.id] = (s.label, opt_label(cur, s.drug), opt_label(cur, s.condition), label(cur, r.outcome), num(r.time_value),
                          r.time_unit, r.measure, num(r.value), num(r.ci_lower) if both else None,
                          num(r.ci_upper) if both else None, num(exact_p), why, s.id)
    got = {
        row["result"].removeprefix(KKR): (row["studyLabel"], row.get("drugLabel"), row.get("conditionLabel"), row["outcomeLabel"],
                                          num(row.get("timeValue")), row.get("timeUnit"), row["measure"], num(row["value"]),
                                          num(row.get("ciLower")), num(row.get("ciUpper")), num(row.get("pValue")), row["why"],
                                          row["study"].removeprefix(KKR))
        for row in rows
    }
    assert got == expected and len(rows) == len(expected)


@checks("study-by-registry-id")
def _by_registry(cur: Curation, rows: list[dict[str, str]]) -> None:
    wanted = rows[0]["registryId"]
    chosen = [s for s in cur.studies if wanted in s.registry_ids]
    assert chosen
    assert _got_study_rows(rows) == _study_rows(cur, chosen)
    designs = {"randomized-controlled-trial": "randomized controlled trial", "open-label-trial": "open-label trial"}
    for row in rows:
        s = next(s for s in chosen if s.id == row["study"].removeprefix(KKR))
        assert (row.get("design"), row.get("comparatorKind"), num(row.get("randomized"))) == (
            designs.get(s.design, row.get("design")), s.comparator_kind, num(s.n_randomized))


@checks("meta-analyses")
def _meta_analyses(cur: Curation, rows: list[dict[str, str]]) -> None:
    chosen = [s for s in cur.studies if s.design in ("meta-analysis", "ipd-meta-analysis")]
    assert _got_study_rows(rows) == _study_rows(cur, chosen)
    by_id = studies(cur)
    for row in rows:
        s = by_id[row["study"].removeprefix(KKR)]
        included = set(filter(None, (row.get("includedInGraph") or "").split("; ")))
        assert included == {by_id[i].label for i in s.includes}
        assert (num(row.get("pooledStudies")), num(row.get("participants"))) == (num(s.k_studies), num(s.n_participants))

CATALOGUE = load_catalogue(__import__("pathlib").Path(__file__).resolve().parents[1] / "queries")


def test_every_query_has_a_checker() -> None:
    missing = sorted(set(CATALOGUE) - set(CHECKERS))
    assert not missing, f"named queries without an expected answer: {missing}"
    assert not sorted(set(CHECKERS) - set(CATALOGUE)), "checkers for queries that no longer exist"


def test_there_are_at_least_twenty_questions() -> None:
    assert len(CATALOGUE) >= 20


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_named_query_answer(name: str, worker: QueryWorker, curated: Curation) -> None:
    result = run_named(worker, CATALOGUE[name])
    assert not result.truncated
    rows = result.records()
    assert rows, f"{name} returns nothing with its defaults"
    CHECKERS[name](curated, rows)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_named_query_header(name: str) -> None:
    q = CATALOGUE[name]
    assert q.title and q.question.endswith("?")
    for p in q.parameters:
        # Parameters are bound by substitution, which needs the variable in the projection.
        assert f"?{p.name}" in q.text.split("WHERE")[0], f"{name}: parameter ?{p.name} must be projected"
    assert "PREFIX kk:" in q.text, "queries declare their prefixes so they run unchanged elsewhere"


def test_parameter_changes_the_answer(worker: QueryWorker, curated: Curation) -> None:
    q = CATALOGUE["claims-for-drug"]
    for drug in ("ketamine", "esketamine-nasal-spray"):
        rows = run_named(worker, q, {"drug": drug}).records()
        assert ids(rows, "claim") == {c.id for c in curated.claims if c.drug == drug}


def test_evidence_ranks_match_the_ontology() -> None:
    assert set(EVIDENCE) == set(EVIDENCE_RANK)
