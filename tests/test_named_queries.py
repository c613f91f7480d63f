"""Every named query answers what the curated data says.

Each checker below recomputes a query's answer from the curated YAML in plain Python and compares
it with what the query returns on the built graph. A query without a checker fails
``test_every_query_has_a_checker``.
"""

from __future__ import annotations

import functools

from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import rdflib
import yaml

from ketamine_kg.query.catalogue import load_catalogue
from ketamine_kg.build.compile import EVIDENCE
from ketamine_kg.build.curation import Curation
from ketamine_kg.query.engine import QueryWorker
from ketamine_kg.rdf.prefixes import expand_curie
from ketamine_kg.query.run import run_named

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


Checker = Callable[[Curation, list[dict[str, str]]], None]
CHECKERS: dict[str, Checker] = {}


def checks(name: str) -> Callable[[Checker], Checker]:
    def register(fn: Checker) -> Checker:
        CHECKERS[name] = fn
        return fn

    return register


# --- The older questions (issue 11): every column of every row compared with the curated records. --
ROOT_DIR = __import__("pathlib").Path(__file__).resolve().parents[1]
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
KK_RANK = "https://w3id.org/ketamine-kg/ontology#rank"


@functools.cache
def _schema_enums() -> dict[str, dict[str, str]]:
    schema = yaml.safe_load((ROOT_DIR / "ontology" / "ketamine-kg.schema.yaml").read_text(encoding="utf-8"))
    kk = schema["prefixes"]["kk"]
    return {
        enum: {value: (pv or {}).get("meaning", "").replace("kk:", kk, 1) for value, pv in (e.get("permissible_values") or {}).items()}
        for enum, e in schema["enums"].items()
    }


@functools.cache
def _kk() -> str:
    return yaml.safe_load((ROOT_DIR / "ontology" / "ketamine-kg.schema.yaml").read_text(encoding="utf-8"))["prefixes"]["kk"]


@functools.cache
def _ontology() -> rdflib.Graph:
    """The ontology as rdflib reads it: the labels and ranks of enum values, read beside the query engine."""
    return rdflib.Graph().parse(ROOT_DIR / "ontology" / "ketamine-edit.ttl")


def node_label(iri: str) -> str:
    labels = {str(o) for o in _ontology().objects(rdflib.URIRef(iri), rdflib.URIRef(RDFS_LABEL))}
    assert len(labels) == 1, f"{iri} has labels {labels}"
    return labels.pop()


def enum_label(enum: str, value: str | None) -> str | None:
    """The label a query shows for a curated enum value (``single-rct`` -> ``single randomized trial``)."""
    return None if value is None else node_label(_schema_enums()[enum][value])


def enum_rank(enum: str, value: str) -> Decimal:
    ranks = list(_ontology().objects(rdflib.URIRef(_schema_enums()[enum][value]), rdflib.URIRef(KK_RANK)))
    assert len(ranks) == 1
    return Decimal(str(ranks[0]))


def rank_of_label(enum: str, shown: str) -> Decimal:
    """The rank of the enum value whose label a row shows: for ORDER BY a rank the query does not project."""
    (value,) = [v for v in _schema_enums()[enum] if enum_label(enum, v) == shown]
    return enum_rank(enum, value)


def first_source(record: Any) -> str:
    """The least source IRI of a record, as the queries pick one source per row."""
    return min(f"{KKR}{s}" for s in record.sources)


def row_tuple(row: dict[str, str], columns: str, numbers: str = "") -> tuple[Any, ...]:
    """A row's columns in SELECT order; absent ones None, the named number columns as Decimal."""
    numeric = set(numbers.split())
    return tuple(num(row.get(c)) if c in numeric else row.get(c) for c in columns.split())


def assert_rows(rows: list[dict[str, str]], columns: str, expected: list[tuple[Any, ...]], numbers: str = "") -> None:
    """Every column of every row, compared as a multiset with the rows the curated records give."""
    extra = {k for r in rows for k in r} - set(columns.split())
    assert not extra, f"columns the checker does not know: {extra}"
    got = Counter(row_tuple(r, columns, numbers) for r in rows)
    want = Counter(expected)
    assert got == want, f"missing: {list((want - got).elements())[:5]}; unexpected: {list((got - want).elements())[:5]}"


def assert_order(rows: list[dict[str, str]], *keys: Any) -> None:
    """Rows follow ORDER BY keys: a column name (``-name`` for DESC; ``#name`` numeric) or a
    (callable, descending) pair for a rank the query orders by without projecting. Unbound sorts first."""

    def one(key: Any, row: dict[str, str]) -> tuple[Any, bool]:
        if isinstance(key, tuple):
            fn, desc = key
            value = fn(row)
        else:
            desc = key.startswith("-")
            name = key.lstrip("-#")
            value = row.get(name)
            if value is not None and "#" in key:
                value = num(value)
        return ((value is not None, value if value is not None else ""), desc)

    for a, b in zip(rows, rows[1:], strict=False):
        for key in keys:
            (va, desc), (vb, _) = one(key, a), one(key, b)
            if va == vb:
                continue
            assert (va > vb) if desc else (va < vb), f"out of ORDER BY at {key}: {a} before {b}"
            break


def ev_rank(row: dict[str, str]) -> Decimal:
    return rank_of_label("EvidenceLevel", row["evidence"])


@checks("approved-uses")
def _approved(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = [
        (f"{KKR}{a.product}", label(cur, a.product), label(cur, a.indication) if a.indication else a.indication_text,
         label(cur, a.agency), f"{a.approval_date.isoformat()}T00:00:00", f"{KKR}{a.id}", first_source(a), a.note)
        for a in cur.approvals
    ]
    assert_rows(rows, "drug drugLabel indication agencyLabel date approval source note", expected)
    assert_order(rows, "date", "drugLabel", "indication")


@checks("off-label-and-investigational-uses")
def _off_label(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = [
        (label(cur, c.drug), label(cur, c.condition), enum_label("RegulatoryStatus", c.regulatory_status),
         enum_label("EvidenceLevel", c.evidence_level), enum_label("Direction", c.direction), f"{KKR}{c.id}")
        for c in cur.claims if c.regulatory_status in ("off-label", "investigational")
    ]
    assert_rows(rows, "drugLabel conditionLabel status evidence direction claim", expected)
    assert_order(rows, "conditionLabel", (ev_rank, True), "drugLabel", "claim")


def _claims_for(cur: Curation, rows: list[dict[str, str]], drug: str) -> None:
    expected = [
        (f"{KKR}{drug}", label(cur, c.condition), enum_label("RegulatoryStatus", c.regulatory_status),
         enum_label("EvidenceLevel", c.evidence_level), enum_label("Direction", c.direction), c.effect, f"{KKR}{c.id}")
        for c in cur.claims if c.drug == drug
    ]
    assert_rows(rows, "drug conditionLabel status evidence direction effect claim", expected)
    assert_order(rows, "conditionLabel", (ev_rank, True), "claim")


@checks("claims-for-drug")
def _claims_for_drug(cur: Curation, rows: list[dict[str, str]]) -> None:
    _claims_for(cur, rows, "ketamine")


#: A study design -> the words evidence-by-condition shows for it, strongest first.
DESIGN_WORDS = {"meta-analysis": "meta-analysis", "ipd-meta-analysis": "meta-analysis",
                "randomized-controlled-trial": "randomized controlled trial", "non-randomized-trial": "non-randomized trial",
                "open-label-trial": "non-randomized trial", "observational-study": "observational study"}
DESIGN_ORDER = ["meta-analysis", "randomized controlled trial", "non-randomized trial", "observational study"]


def _primary_direction(cur: Curation, study: str) -> str:
    """Which way a study's primary whole-population between-group results point, recomputed here."""
    seen = set()
    for r in cur.results:
        if r.study != study or r.endpoint_role != "primary" or r.subgroup or r.value is None:
            continue
        better = cur.entity_index[r.outcome].better_when
        if r.measure == "hazard-ratio" and cur.entity_index[r.outcome].time_to_event and better:
            # a hazard ratio is the hazard of the event: on time to relapse, lower is better
            better = "lower" if better == "higher" else "higher"
        lo, hi, value = r.ci_lower, r.ci_upper, r.value
        if r.contrast_order == "comparator-minus-intervention":
            value, lo, hi = -value, (None if hi is None else -hi), (None if lo is None else -lo)
            null = 0
        elif r.contrast_order == "intervention-minus-comparator":
            null = 0
        elif r.contrast_order == "intervention-over-comparator":
            null = 1
        elif r.contrast_order == "comparator-over-intervention":
            value, lo, hi = 1 / value, (None if hi is None else 1 / hi), (None if lo is None else 1 / lo)
            null = 1
        else:
            continue
        if better is None:
            continue
        if lo is not None and hi is not None:
            clear = lo > null or hi < null
        elif r.p_value is not None:
            clear = r.p_value < 0.05
        else:
            continue
        if not clear:
            seen.add("neither")
        else:
            seen.add("drug" if (value > null) == (better == "higher") else "comparator")
    return "none" if not seen else seen.pop() if len(seen) == 1 else "mixed"


KK_NS = "https://w3id.org/ketamine-kg/ontology#"
KKR_NS = "https://w3id.org/ketamine-kg/resource/"
CERTAINTY_WORDS = {"CertaintyHigh": "high", "CertaintyModerate": "moderate", "CertaintyLow": "low", "CertaintyVeryLow": "very low"}


@functools.cache
def _pooled_estimates() -> tuple[dict[str, Any], ...]:
    """Every kk:PooledEstimate of the built graph, read triple by triple (no SPARQL): its IRI as a
    CURIE, its drug, condition, construct, harm, comparison class, window, k, certainty label and
    included result ids."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=str(ROOT_DIR / "graph" / "ketamine-kg.nt"), format=ox.RdfFormat.N_TRIPLES)
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

    def values(node: Any, prop: str) -> list[Any]:
        return [q.object for q in store.quads_for_pattern(node, ox.NamedNode(KK_NS + prop), None)]

    def one(node: Any, prop: str) -> str | None:
        got = values(node, prop)
        assert len(got) <= 1, (node, prop, got)
        return got[0].value if got else None

    out = []
    for q in store.quads_for_pattern(None, rdf_type, ox.NamedNode(KK_NS + "PooledEstimate")):
        node = q.subject
        level = values(node, "certainty")
        label = [x.object.value for x in store.quads_for_pattern(level[0], ox.NamedNode(RDFS_LABEL), None)] if level else []
        if level and not label:  # the level's words from its individual's name (CertaintyVeryLow -> very low)
            label = [CERTAINTY_WORDS[level[0].value.removeprefix(KK_NS)]]
        out.append({
            "curie": "kkr:" + node.value.removeprefix(KKR_NS),
            "drug": (one(node, "drug") or "").removeprefix(KKR_NS),
            "condition": (one(node, "condition") or "").removeprefix(KKR_NS),
            "construct": one(node, "construct"), "harm": one(node, "harm"),
            "outcome": (one(node, "outcome") or "").removeprefix(KKR_NS) or None,
            "comparison": one(node, "comparisonClass"), "window": one(node, "timeWindow"),
            "k": int(one(node, "pooledStudyCount") or 0), "unknown": int(one(node, "unknownSizeStudyCount") or 0), "certainty": label[0] if label else None,
            "results": {r.value.removeprefix(KKR_NS) for r in values(node, "includesResult")},
        })
    return tuple(out)


def outcome_words(cur: Curation, pool: dict[str, Any]) -> str:
    """A pool's outcome as the queries say it: the harm, the event outcome (construct), or the construct's severity."""
    construct = pool["construct"].replace("-", " ")
    if pool["harm"]:
        return label(cur, pool["harm"].removeprefix(KKR_NS))
    return f"{label(cur, pool['outcome'])} ({construct})" if pool["outcome"] else f"{construct.replace('symptoms', 'symptom')} severity"


def primary_pool(cur: Curation, drug: str, condition: str) -> dict[str, Any] | None:
    """The pair's primary pooled estimate, by the rule in evidence-by-condition's header, in Python:
    efficacy pools against placebo, most primary-endpoint results, then larger k, then the IRI."""
    primary = {r.id for r in cur.results if r.endpoint_role == "primary"}
    candidates = [p for p in _pooled_estimates() if p["drug"] == drug and p["condition"] == condition
                  and not p["harm"] and p["comparison"] in ("inert-placebo", "active-placebo")]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (len(p["results"] & primary), p["k"], KKR_NS + p["curie"].removeprefix("kkr:")))


def primary_columns(cur: Curation, drug: str, condition: str) -> tuple[Any, ...]:
    """(primaryCertainty, primaryOutcome, primaryPooled) as evidence-by-condition shows them."""
    pool = primary_pool(cur, drug, condition)
    if pool is None:
        return ("no pooled estimate", None, None)
    words = (f"{outcome_words(cur, pool)}, {pool['window'].replace('-', ' ')}, against "
             f"{pool['comparison'].replace('-', ' ')}, k = {pool['k']}")
    return (pool["certainty"] or "not rated", words, pool["curie"])


@checks("evidence-by-condition")
def _evidence(cur: Curation, rows: list[dict[str, str]]) -> None:
    studies = [s for s in cur.studies if s.drug and s.condition]
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for s in studies:
        targets = [(s.condition, "own condition")] + [(a, "rolled up") for a in ancestors(cur, s.condition)]
        for condition, scope in targets:
            groups.setdefault((s.drug, condition, scope), {})[s.id] = s
    for (drug, condition, scope), members in list(groups.items()):
        if scope == "rolled up":  # a rolled-up row counts the condition's own studies too
            members.update(groups.get((drug, condition, "own condition"), {}))
    claims: dict[tuple[str, str], list] = defaultdict(list)
    for c in cur.claims:
        claims[(c.drug, c.condition)].append(c)
    pairs_with_studies = {(d, c) for d, c, _ in groups}

    def status_and_level(drug: str, condition: str) -> tuple[str, str, Decimal]:
        cs = claims.get((drug, condition))
        if not cs:
            return "no claim", "no claim", num(0)
        best_status = max((c.regulatory_status for c in cs), key=lambda v: enum_rank("RegulatoryStatus", v))
        best_level = max((c.evidence_level for c in cs), key=lambda v: enum_rank("EvidenceLevel", v))
        return enum_label("RegulatoryStatus", best_status), enum_label("EvidenceLevel", best_level), num(len({c.id for c in cs}))

    def design_rank(kinds: Counter) -> Decimal:
        # The evidence level the strongest design corresponds to, as the ontology ranks levels.
        if kinds["meta-analysis"]:
            return enum_rank("EvidenceLevel", "meta-analysis")
        if kinds["randomized controlled trial"]:
            return enum_rank("EvidenceLevel", "multiple-rcts" if kinds["randomized controlled trial"] > 1 else "single-rct")
        return enum_rank("EvidenceLevel", "nonrandomized")

    expected = []
    for (drug, condition, scope), members in groups.items():
        kinds = Counter(DESIGN_WORDS[s.design] for s in members.values())
        directions = Counter(_primary_direction(cur, sid) for sid in members)
        participants = sum(s.n_randomized or s.n_participants or 0 for s in members.values() if DESIGN_WORDS[s.design] != "meta-analysis")
        direction = (f"{directions['drug']} favour the drug, {directions['comparator']} the comparator, {directions['neither']} neither, "
                     f"{directions['mixed']} mixed, {directions['none']} without a readable primary result")
        expected.append((label(cur, condition), label(cur, drug), scope, next(d for d in DESIGN_ORDER if kinds[d]),
                         num(len(members)), num(kinds["meta-analysis"]), num(kinds["randomized controlled trial"]),
                         num(kinds["non-randomized trial"]), num(kinds["observational study"]), num(participants), direction,
                         *status_and_level(drug, condition), design_rank(kinds), *primary_columns(cur, drug, condition)[:2],
                         f"{KKR}{condition}", f"{KKR}{drug}", primary_columns(cur, drug, condition)[2]))
    for drug, condition in claims:
        if (drug, condition) not in pairs_with_studies:
            level_ranks = [enum_rank("EvidenceLevel", c.evidence_level) for c in claims[(drug, condition)]]
            design = "preclinical only (no human study in the graph)" if max(level_ranks) == 0 else "no study in the graph"
            expected.append((label(cur, condition), label(cur, drug), "own condition", design, *[num(0)] * 6, "no study",
                             *status_and_level(drug, condition), max(level_ranks), *primary_columns(cur, drug, condition)[:2],
                             f"{KKR}{condition}", f"{KKR}{drug}", primary_columns(cur, drug, condition)[2]))
    columns = ("conditionLabel drugLabel scope strongestDesign studies metaAnalyses randomizedTrials nonRandomized observational "
               "participants direction anyStatus bestClaimLevel claims bestEvidenceRank primaryCertainty primaryOutcome "
               "condition drug primaryPooled")
    numbers = "studies metaAnalyses randomizedTrials nonRandomized observational participants claims bestEvidenceRank"
    assert_rows(rows, columns, expected, numbers=numbers)
    assert_order(rows, "conditionLabel", "drugLabel", "scope", "condition", "drug")
    # The done-means, as a user reads them.
    by_pair = {(r["drugLabel"], r["conditionLabel"], r["scope"]): r for r in rows}
    assert by_pair[("ketamine", "treatment-resistant depression", "own condition")]["strongestDesign"] == "meta-analysis"
    assert ("esketamine", "perinatal (prenatal or postpartum) depression", "own condition") in by_pair


@checks("summary-of-findings")
def _summary_of_findings(cur: Curation, rows: list[dict[str, str]]) -> None:
    """The default condition's pooled estimates, every one once, in words; the figures themselves are
    recomputed from the curated results in tests/test_summary_of_findings.py."""
    pools = {p["curie"]: p for p in _pooled_estimates() if p["condition"] == "treatment-resistant-depression"}
    assert sorted(r["pooled"] for r in rows) == sorted(pools)
    for row in rows:
        pool = pools[row["pooled"]]
        assert row["drugLabel"] == label(cur, pool["drug"]) and row["condition"] == f"{KKR}treatment-resistant-depression"
        assert (row["outcomeLabel"], row["outcomeKind"]) == (outcome_words(cur, pool), "harm" if pool["harm"] else "efficacy")
        assert (row["comparison"], row["window"]) == (pool["comparison"].replace("-", " "), pool["window"].replace("-", " "))
        assert int(row["studies"]) == pool["k"] == len({r.study for r in cur.results if r.id in pool["results"]})
        assert int(row["studiesWithoutN"]) == pool["unknown"]
        assert row["certainty"] == (pool["certainty"] or "not rated")
        assert num(row["ciLower"]) <= num(row["value"]) <= num(row["ciUpper"])
        assert ("absolutePer1000" in row) <= (row["measureLabel"] in ("risk ratio", "odds ratio"))
    order = {"up to 1 day": 1, "2 to 7 days": 2, "8 to 28 days": 3, "over 28 days": 4, "reported period": 5}
    keys = [(r["drugLabel"], r["comparison"], r["outcomeKind"], r["outcomeLabel"], order[r["window"]], r["pooled"]) for r in rows]
    assert keys == sorted(keys)


@checks("risks-of-drug")
def _risks(cur: Curation, rows: list[dict[str, str]]) -> None:
    forms = forms_of(cur, "esketamine-nasal-spray")
    expected = [
        (f"{KKR}esketamine-nasal-spray", label(cur, ae.drug), f"{KKR}{ae.effect}", label(cur, ae.effect),
         enum_label("RiskCategory", cur.entity_index[ae.effect].category), num(ae.frequency_percent), num(ae.comparator_percent),
         str(ae.boxed_warning).lower(), first_source(ae))
        for ae in cur.adverse_effects if ae.drug in forms
    ]
    assert_rows(rows, "drug formLabel risk riskLabel category frequencyPercent comparatorPercent boxedWarning source", expected,
                numbers="frequencyPercent comparatorPercent")
    assert_order(rows, "category", "-boxedWarning", "-#frequencyPercent", "riskLabel", "formLabel")


@checks("monitoring-requirements")
def _monitoring(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = [
        (f"{KKR}{m.drug}", f"{KKR}{m.id}", m.label, opt_label(cur, m.setting), m.program, mitigates, first_source(m))
        for m in cur.monitoring if m.drug == "esketamine-nasal-spray"
        for mitigates in ([label(cur, r) for r in m.mitigates] or [None])
    ]
    assert_rows(rows, "drug requirement label settingLabel program mitigatesLabel source", expected)
    assert_order(rows, "label", "mitigatesLabel")


def treatment_kind(cur: Curation, slug: str) -> str | None:
    """Pharmacotherapy, psychotherapy or neuromodulation: the label of the treatment's class, or of a drug."""
    kind = cur.entity_index[slug].type
    if kind in ("Pharmacotherapy", "Psychotherapy", "Neuromodulation"):
        return node_label(_kk() + kind)
    return "pharmacotherapy" if kind == "Drug" else None


@checks("alternatives-for-condition")
def _alternatives(cur: Curation, rows: list[dict[str, str]]) -> None:
    condition = "treatment-resistant-depression"
    expected = [
        (f"{KKR}{condition}", f"{KKR}{a.treatment}", label(cur, a.treatment), treatment_kind(cur, a.treatment),
         enum_label("RegulatoryStatus", a.regulatory_status), enum_label("EvidenceLevel", a.evidence_level), a.note, first_source(a))
        for a in cur.alternatives if a.condition == condition
    ]
    assert_rows(rows, "condition treatment treatmentLabel kind status evidence note source", expected)
    assert_order(rows, (lambda r: rank_of_label("RegulatoryStatus", r["status"]), True), "treatmentLabel")


@checks("sources-for-condition")
def _sources(cur: Curation, rows: list[dict[str, str]]) -> None:
    root = "major-depressive-disorder"
    by_id = {s.id: s for s in cur.sources}
    expected = [
        (f"{KKR}{root}", f"{KKR}{c.id}", label(cur, c.drug), label(cur, c.condition), enum_label("Direction", c.direction),
         f"{KKR}{s}", by_id[s].title, num(by_id[s].year), by_id[s].pmid, by_id[s].doi, by_id[s].url)
        for c in cur.claims if under(cur, c.condition, root) for s in c.sources
    ]
    assert_rows(rows, "condition claim drugLabel claimConditionLabel direction source title year pmid doi url", expected, numbers="year")
    assert_order(rows, "claimConditionLabel", "drugLabel", "claim", "#year")


@checks("routes-and-doses")
def _doses(cur: Curation, rows: list[dict[str, str]]) -> None:
    # The query selects every record with a route, a dose text and a drug: label regimens, claims and studies.
    expected = [
        (label(cur, d.drug), label(cur, d.route), f"regimen: {d.phase}", opt_label(cur, d.condition), d.text, f"{KKR}{d.id}")
        for d in cur.dose_regimens
    ] + [
        (label(cur, r.drug), label(cur, r.route), "studied dose", opt_label(cur, r.condition), r.dose, f"{KKR}{r.id}")
        for r in [*cur.claims, *cur.studies] if r.route and r.dose and r.drug
    ]
    assert_rows(rows, "drugLabel routeLabel context conditionLabel dose record", expected)
    assert_order(rows, "drugLabel", "routeLabel", "context", "record")


@checks("contraindications")
def _contraindications(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = [(f"{KKR}{c.drug}", f"{KKR}{c.id}", c.label, first_source(c)) for c in cur.contraindications if c.drug == "esketamine-nasal-spray"]
    assert_rows(rows, "drug contraindication text source", expected)
    assert_order(rows, "text")


@checks("substance-use-disorder-evidence")
def _sud(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = [
        (label(cur, c.condition), label(cur, c.drug), enum_label("EvidenceLevel", c.evidence_level),
         enum_label("RegulatoryStatus", c.regulatory_status), enum_label("Direction", c.direction), c.effect, f"{KKR}{c.id}")
        for c in cur.claims if under(cur, c.condition, "substance-use-disorder")
    ]
    assert_rows(rows, "conditionLabel drugLabel evidence status direction effect claim", expected)
    assert_order(rows, "conditionLabel", (ev_rank, True), "claim")


@checks("mixed-or-negative-evidence")
def _mixed(cur: Curation, rows: list[dict[str, str]]) -> None:
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for c in cur.claims:
        tally[(c.condition, c.drug)][c.direction == "does-not-support"] += 1
    expected = [
        (label(cur, cond), label(cur, drug), num(sup), num(neg), "mixed" if sup else "negative")
        for (cond, drug), (sup, neg) in tally.items()
        if neg
    ]
    assert_rows(rows, "conditionLabel drugLabel supporting notSupporting verdict", expected, numbers="supporting notSupporting")
    assert_order(rows, "verdict", "conditionLabel", "drugLabel")


@checks("mechanism-of-action")
def _mechanism(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = [
        (label(cur, m.drug), label(cur, m.mechanism), opt_label(cur, m.target), enum_label("EvidenceLevel", m.evidence_level), m.text,
         f"{KKR}{m.id}")
        for m in cur.mechanisms
    ]
    assert_rows(rows, "drugLabel mechanismLabel targetLabel evidence summary statement", expected)
    assert_order(rows, "drugLabel", (ev_rank, True), "mechanismLabel")


@checks("entity-neighbourhood")
def _neighbourhood(cur: Curation, rows: list[dict[str, str]]) -> None:
    assert set(rows[0]) == {"subject", "predicate", "object"}
    triples = Counter((r["subject"], r["predicate"], r["object"]) for r in rows)
    assert all(n == 1 for n in triples.values()), "a CONSTRUCT answer is a set of triples"
    assert ("kkr:ketamine", "rdfs:label", "ketamine") in triples
    # Every curated record that names ketamine points at it, and carries its label along.
    pointing = [("kk:drug", c.id) for c in cur.claims if c.drug == "ketamine"]
    pointing += [("kk:drug", a.id) for a in cur.adverse_effects if a.drug == "ketamine"]
    pointing += [("kk:drug", m.id) for m in cur.mechanisms if m.drug == "ketamine"]
    pointing += [("kk:drug", s.id) for s in cur.schedules if s.drug == "ketamine"]
    pointing += [("kk:drug", s.id) for s in cur.studies if s.drug == "ketamine"]
    pointing += [("kk:activeIngredient", e.id) for e in cur.entities if e.active_ingredient == "ketamine"]
    assert pointing
    for predicate, record in pointing:
        assert (f"kkr:{record}", predicate, "kkr:ketamine") in triples, (record, predicate)
    for e in cur.entities:
        if e.active_ingredient == "ketamine":
            assert (f"kkr:{e.id}", "rdfs:label", e.label) in triples
    for x in cur.xrefs:
        if x.entity == "ketamine":
            assert ("kkr:ketamine", "oboInOwl:hasDbXref", x.curie) in triples
    # ... and the whole answer is the neighbourhood rdflib reads from the graph file: no triple lost or added.
    assert set(triples) == _neighbourhood_by_rdflib("ketamine")


NAMESPACES = {
    "kkr:": "https://w3id.org/ketamine-kg/resource/", "kk:": "https://w3id.org/ketamine-kg/ontology#",
    "rdfs:": "http://www.w3.org/2000/01/rdf-schema#", "rdf:": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "skos:": "http://www.w3.org/2004/02/skos/core#", "oboInOwl:": "http://www.geneontology.org/formats/oboInOwl#",
    "owl:": "http://www.w3.org/2002/07/owl#",
}


def _shown(term: Any) -> str:
    if isinstance(term, rdflib.Literal):
        return str(term)
    for prefix, namespace in NAMESPACES.items():
        if str(term).startswith(namespace):
            return prefix + str(term).removeprefix(namespace)
    return str(term)


def _neighbourhood_by_rdflib(slug: str) -> set[tuple[str, str, str]]:
    """The CONSTRUCT's template filled by rdflib from the graph file, not by the query engine."""
    entity, label_p = rdflib.URIRef(NAMESPACES["kkr:"] + slug), rdflib.URIRef(RDFS_LABEL)
    lines = (ROOT_DIR / "graph" / "ketamine-kg.nt").read_text(encoding="utf-8").splitlines()
    # rdflib parses only the lines that can matter (the whole file takes it seconds): those naming the
    # entity, then the label lines of every IRI or blank node on them.
    near = rdflib.Graph().parse(data="\n".join(x for x in lines if f"<{entity}>" in x), format="nt")
    nodes = {t.n3() for triple in near for t in triple if not isinstance(t, rdflib.Literal)}
    wanted = "\n".join(x for x in lines if x.split(" ", 1)[0] in nodes and f" <{RDFS_LABEL}> " in x)
    graph = near + rdflib.Graph().parse(data=wanted, format="nt")
    out = set()
    for p, o in graph.predicate_objects(entity):
        out.add((entity, p, o))
        out |= {(o, label_p, lab) for lab in graph.objects(o, label_p)}
    for s, q in graph.subject_predicates(entity):
        out.add((s, q, entity))
        out |= {(s, label_p, lab) for lab in graph.objects(s, label_p)}
    return {tuple(_shown(t) for t in triple) for triple in out}


@checks("cross-references")
def _xrefs(cur: Curation, rows: list[dict[str, str]]) -> None:
    mine = [x for x in cur.xrefs if x.entity == "ketamine"]
    exact = [expand_curie(x.curie) for x in mine if x.mapping == "exact"]
    expected = [
        ("kkr:ketamine", x.curie, x.label_at_source, iri, x.source_url)
        for x in mine
        for iri in ([i for i in exact if x.curie.split(":", 1)[1] in i] or [None])
    ]
    assert_rows(rows, "entity curie labelAtSource iri readAt", expected)
    assert_order(rows, "curie")


@checks("condition-hierarchy")
def _hierarchy(cur: Curation, rows: list[dict[str, str]]) -> None:
    root_label = node_label(_kk() + "MedicalCondition")
    expected = [
        (f"{KKR}{e.id}", e.label, f"kkr:{e.parent}" if e.parent else "kk:MedicalCondition",
         label(cur, e.parent) if e.parent else root_label, num(len(ancestors(cur, e.id)) + 1))
        for e in cur.entities if e.type == "MedicalCondition"
    ]
    assert_rows(rows, "condition label parent parentLabel depth", expected, numbers="depth")
    assert_order(rows, "#depth", "label")


@checks("response-predictors")
def _predictors(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = [
        (label(cur, p.predictor) if p.predictor else "response rate", label(cur, p.drug), opt_label(cur, p.condition), p.text,
         enum_label("EvidenceLevel", p.evidence_level), enum_label("Direction", p.direction), f"{KKR}{p.id}")
        for p in cur.predictors
    ]
    assert_rows(rows, "topic drugLabel conditionLabel finding evidence direction finding_record", expected)
    assert_order(rows, "topic", (ev_rank, True), "finding_record")


# --- Individual variability, special populations, genes (issue 18) -----------------------------------
def _predictors_about(cur: Curation, rows: list[dict[str, str]], about: str) -> None:
    expected = [
        (p.finding_about, label(cur, p.predictor), opt_label(cur, cur.entity_index[p.predictor].gene),
         label(cur, p.drug), opt_label(cur, p.condition), p.predictor_role, p.analysis_kind,
         opt_label(cur, p.finding_outcome), p.outcome_as_defined, p.association,
         enum_label("FindingMeasure", p.effect_measure), num(p.effect_value), num(p.effect_ci_lower),
         num(p.effect_ci_upper), num(p.effect_p_value), p.effect_p_relation, num(p.n_analysed),
         studies(cur)[p.finding_study].label if p.finding_study else None,
         enum_label("EvidenceLevel", p.evidence_level), enum_label("Direction", p.direction),
         str(p.verified).lower(), f"{KKR}{p.id}")
        for p in cur.predictors
        if p.finding_about == about and p.predictor
    ]
    assert expected, f"no curated {about} findings with a predictor"
    columns = ("about predictorLabel geneLabel drugLabel conditionLabel role analysis outcomeLabel outcomeAsDefined "
               "association measure value ciLower ciUpper pValue pRelation n studyLabel evidence direction verified "
               "finding")
    assert_rows(rows, columns, expected, numbers="value ciLower ciUpper pValue n")
    assert_order(rows, "predictorLabel", (ev_rank, True), "finding")


@checks("predictors-of-response")
def _predictors_of_response(cur: Curation, rows: list[dict[str, str]]) -> None:
    _predictors_about(cur, rows, "response")


@checks("subgroup-results")
def _subgroup_results(cur: Curation, rows: list[dict[str, str]]) -> None:
    by_id = studies(cur)
    expected = [
        (by_id[r.study].label, r.subgroup, label(cur, r.outcome), num(r.time_value), r.time_unit,
         enum_label("Measure", r.measure), r.contrast, r.arm, num(r.value), num(r.ci_lower), num(r.ci_upper),
         num(r.p_value), r.endpoint_role, str(r.verified).lower(), f"{KKR}{r.id}", f"{KKR}{r.study}")
        for r in cur.results
        if r.subgroup
    ]
    columns = ("studyLabel subgroup outcomeLabel timeValue timeUnit measure contrast arm value ciLower ciUpper "
               "pValue endpointRole verified result study")
    assert_rows(rows, columns, expected, numbers="timeValue value ciLower ciUpper pValue")
    assert_order(rows, "studyLabel", "outcomeLabel", "subgroup", "result")


def _special_populations_of(cur: Curation, rows: list[dict[str, str]], drug: str) -> None:
    forms = forms_of(cur, drug)
    expected = [
        (f"{KKR}{drug}", label(cur, ls.drug), ls.topic, opt_label(cur, ls.route), ls.text, num(ls.figure_value),
         num(ls.figure_lower), num(ls.figure_upper), ls.figure_unit, ls.label_section, str(ls.verified).lower(),
         f"{KKR}{ls.id}", first_source(ls))
        for ls in cur.label_statements
        if ls.drug in forms
    ]
    assert expected, f"no curated label statements for {drug}"
    columns = ("drug formLabel topic routeLabel statement figureValue figureLower figureUpper figureUnit section "
               "verified record source")
    assert_rows(rows, columns, expected, numbers="figureValue figureLower figureUpper")
    assert_order(rows, "topic", "section", "record")


@checks("special-populations")
def _special_populations(cur: Curation, rows: list[dict[str, str]]) -> None:
    _special_populations_of(cur, rows, "esketamine-nasal-spray")


@checks("genes-and-enzymes")
def _genes(cur: Curation, rows: list[dict[str, str]]) -> None:
    def curie(gene: str, prefix: str) -> list[str | None]:
        return [x.curie for x in cur.xrefs if x.entity == gene and x.curie.startswith(prefix + ":")] or [None]

    expected = []
    for g in (e for e in cur.entities if e.type == "Gene"):
        statements = [
            ("label statement", label(cur, ls.drug), ls.topic, None, ls.text, f"{KKR}{ls.id}")
            for ls in cur.label_statements if g.id in ls.genes
        ] + [
            ("predictor finding", label(cur, p.drug), p.finding_about, p.association, p.text, f"{KKR}{p.id}")
            for p in cur.predictors if p.predictor and cur.entity_index[p.predictor].gene == g.id
        ]
        expected += [
            (f"{KKR}{g.id}", g.label, hgnc, ncbi, *statement)
            for hgnc in curie(g.id, "HGNC") for ncbi in curie(g.id, "NCBIGene")
            for statement in (statements or [(None,) * 6])
        ]
    assert_rows(rows, "gene symbol hgnc ncbiGene kind drugLabel topic association text record", expected)
    assert_order(rows, "symbol", "kind", "record")


def test_variability_questions_answer_for_each_parameter(worker: QueryWorker, curated: Curation) -> None:
    """Issue 18: harm and pharmacokinetic findings, and ketamine's label statements, answer too."""
    for about in ("harm", "pharmacokinetics"):
        rows = run_named(worker, CATALOGUE["predictors-of-response"], {"about": about}).records()
        assert rows
        _predictors_about(curated, rows, about)
    rows = run_named(worker, CATALOGUE["special-populations"], {"drug": "ketamine"}).records()
    assert rows
    _special_populations_of(curated, rows, "ketamine")


def test_every_gene_has_an_hgnc_identifier(curated: Curation) -> None:
    """Issue 18, point 5: a gene entity without its HGNC id is not done."""
    genes = {e.id for e in curated.entities if e.type == "Gene"}
    with_hgnc = {x.entity for x in curated.xrefs if x.curie.startswith("HGNC:")}
    assert genes and not genes - with_hgnc, f"genes without an HGNC id: {sorted(genes - with_hgnc)}"


def test_there_are_at_least_forty_structured_predictor_findings(curated: Curation) -> None:
    """Issue 18, point 4: findings with the outcome, the association and the kind of analysis."""
    structured = [
        p for p in curated.predictors if p.predictor and p.association and p.analysis_kind and p.finding_about
    ]
    assert len(structured) >= 40, len(structured)


def _approval_indication(cur: Curation, a: Any) -> str | None:
    return label(cur, a.indication) if a.indication else a.indication_text


@checks("regulatory-timeline")
def _timeline(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = [
        (f"{a.approval_date.isoformat()}T00:00:00", label(cur, a.agency), label(cur, a.product), _approval_indication(cur, a), f"{KKR}{a.id}")
        for a in cur.approvals
    ]
    assert_rows(rows, "date agencyLabel drugLabel indication approval", expected)
    assert_order(rows, "date", "approval")


@checks("boxed-warnings")
def _boxed(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = [
        (label(cur, ae.drug), label(cur, ae.effect), num(ae.frequency_percent), first_source(ae))
        for ae in cur.adverse_effects if ae.boxed_warning
    ]
    assert_rows(rows, "drugLabel riskLabel frequencyPercent source", expected, numbers="frequencyPercent")
    assert_order(rows, "drugLabel", "riskLabel")


@checks("landmark-trials")
def _landmarks(cur: Curation, rows: list[dict[str, str]]) -> None:
    wanted = ("randomized-controlled-trial", "meta-analysis", "systematic-review")
    by_id = {s.id: s for s in cur.sources}
    expected = [
        (num(s.year), s.title, enum_label("SourceDesign", s.design), num(s.sample_size), s.pmid, label(cur, c.drug),
         label(cur, c.condition), enum_label("Direction", c.direction), f"{KKR}{s.id}")
        for c in cur.claims for s in (by_id[i] for i in c.sources) if s.design in wanted
    ]
    assert_rows(rows, "year title design sampleSize pmid drugLabel conditionLabel direction source", expected, numbers="year sampleSize")
    assert_order(rows, "#year", "title", "conditionLabel")


@checks("treats-edges")
def _treats(cur: Curation, rows: list[dict[str, str]]) -> None:
    pairs = {(c.drug, c.condition) for c in cur.claims}
    established = {
        (c.drug, c.condition) for c in cur.claims
        if c.regulatory_status in ("approved", "guideline-established") and c.direction == "supports"
    }
    expected = [
        (label(cur, d), "treats" if (d, c) in established else "studied to treat", label(cur, c), f"{KKR}{d}", f"{KKR}{c}")
        for d, c in pairs
    ]
    assert_rows(rows, "drugLabel relation conditionLabel drug condition", expected)
    assert_order(rows, "relation", "drugLabel", "conditionLabel")


@checks("chronic-and-recreational-harms")
def _harms(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = [
        (label(cur, ae.effect), enum_label("RiskCategory", cur.entity_index[ae.effect].category), label(cur, ae.drug), ae.note, f"{KKR}{s}")
        for ae in cur.adverse_effects if cur.entity_index[ae.effect].category in ("chronic", "abuse-related") for s in ae.sources
    ]
    assert_rows(rows, "riskLabel category drugLabel note source", expected)
    assert_order(rows, "category", "riskLabel", "drugLabel", "source")


@checks("controlled-substance-schedules")
def _schedules(cur: Curation, rows: list[dict[str, str]]) -> None:
    expected = [(label(cur, s.drug), s.schedule, label(cur, s.agency), first_source(s)) for s in cur.schedules]
    assert_rows(rows, "drugLabel schedule agencyLabel source", expected)
    assert_order(rows, "drugLabel")


@checks("unverified-sources")
def _unverified(cur: Curation, rows: list[dict[str, str]]) -> None:
    citing: Counter[str] = Counter()
    for records in cur.records.values():
        for record in records:
            for s in set(getattr(record, "sources", ()) or ()):
                citing[s] += 1
    expected = [(f"{KKR}{s.id}", s.title, s.note, num(citing[s.id])) for s in cur.sources if not s.verified]
    assert_rows(rows, "source title note statements", expected, numbers="statements")
    assert_order(rows, "title")


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
    assert_order(rows, "measure")



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
    assert_order(rows, "outcomeLabel", "timeUnit", "#timeValue", "studyLabel", "result")


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
    assert_order(rows, "drugLabel", "#hours", "studyLabel", "result")


@checks("response-and-remission-by-arm")
def _rates_by_arm(cur: Curation, rows: list[dict[str, str]]) -> None:
    root = rows[0]["condition"].removeprefix(KKR)
    by_id = studies(cur)
    expected = {
        r.id: (by_id[r.study].label, r.arm, r.arm_role, r.measure, num(r.value), num(r.events), num(r.n), num(r.time_value),
               r.time_unit, opt_label(cur, r.instrument), r.study)
        for r in cur.results
        # kk:value is required: a rate curated without its percent (value: null) is not a row.
        if r.measure in ("response-rate", "remission-rate") and r.arm and r.value is not None and by_id[r.study].condition
        and under(cur, by_id[r.study].condition, root)
    }
    got = {
        row["result"].removeprefix(KKR): (row["studyLabel"], row["arm"], row.get("armRole"), row["measure"], num(row["percent"]),
                                          num(row.get("events")), num(row.get("n")), num(row.get("timeValue")), row.get("timeUnit"),
                                          row.get("instrumentLabel"), row["study"].removeprefix(KKR))
        for row in rows
    }
    assert got == expected and len(rows) == len(expected)
    assert_order(rows, "studyLabel", "measure", "timeUnit", "#timeValue", "armRole", "arm", "result")


def _study_rows(cur: Curation, chosen: list[Any]) -> Counter[tuple[Any, ...]]:
    """A row per result of each chosen study, or one row for a study without results (a multiset)."""
    out: Counter[tuple[Any, ...]] = Counter()
    for s in chosen:
        head = (s.label, opt_label(cur, s.drug), opt_label(cur, s.condition), s.id)
        found = [r for r in cur.results if r.study == s.id]
        for r in found:
            out[(*head, label(cur, r.outcome), r.time_unit, r.measure, *result_numbers(r), r.id)] += 1
        if not found:
            out[(*head, None, None, None, None, None, None, None, None)] += 1
    return out


def _got_study_rows(rows: list[dict[str, str]]) -> Counter[tuple[Any, ...]]:
    return Counter(
        (row["studyLabel"], row.get("drugLabel"), row.get("conditionLabel"), row["study"].removeprefix(KKR), row.get("outcomeLabel"),
         row.get("timeUnit"), row.get("measure"), *row_numbers(row), row["result"].removeprefix(KKR) if row.get("result") else None)
        for row in rows
    )


@checks("head-to-head-comparisons")
def _head_to_head(cur: Curation, rows: list[dict[str, str]]) -> None:
    chosen = [s for s in cur.studies if s.comparator_kind == "active-treatment" and s.design not in ("meta-analysis", "ipd-meta-analysis")]
    assert _got_study_rows(rows) == _study_rows(cur, chosen)
    assert_order(rows, "studyLabel", "outcomeLabel", "timeUnit", "#timeValue", "result")
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
    assert_order(rows, "conditionLabel", "studyLabel", "outcomeLabel", "timeUnit", "#timeValue", "result")


@checks("study-by-registry-id")
def _by_registry(cur: Curation, rows: list[dict[str, str]]) -> None:
    wanted = rows[0]["registryId"]
    chosen = [s for s in cur.studies if wanted in s.registry_ids]
    assert chosen
    assert _got_study_rows(rows) == _study_rows(cur, chosen)
    assert_order(rows, "outcomeLabel", "timeUnit", "#timeValue", "result")
    designs = {"randomized-controlled-trial": "randomized controlled trial", "open-label-trial": "open-label trial"}
    for row in rows:
        s = next(s for s in chosen if s.id == row["study"].removeprefix(KKR))
        assert (row.get("design"), row.get("comparatorKind"), num(row.get("randomized"))) == (
            designs.get(s.design, row.get("design")), s.comparator_kind, num(s.n_randomized))


@checks("meta-analyses")
def _meta_analyses(cur: Curation, rows: list[dict[str, str]]) -> None:
    chosen = [s for s in cur.studies if s.design in ("meta-analysis", "ipd-meta-analysis")]
    assert _got_study_rows(rows) == _study_rows(cur, chosen)
    assert_order(rows, "conditionLabel", "studyLabel", "outcomeLabel", "timeUnit", "#timeValue", "result")
    by_id = studies(cur)
    for row in rows:
        s = by_id[row["study"].removeprefix(KKR)]
        assert (num(row.get("pooledStudies")), num(row.get("participants"))) == (num(s.k_studies), num(s.n_participants))
        assert row["design"] == enum_label("StudyDesign", s.design)

# --- Harms as data (issue 18): per-arm adverse-event counts. ---------------------------------------
def _harm_rows(cur: Curation) -> list[Any]:
    return [r for r in cur.results if r.harm and r.measure == "event-rate" and r.arm and r.value is not None]


@checks("harms-by-arm")
def _harms_by_arm(cur: Curation, rows: list[dict[str, str]]) -> None:
    drug = rows[0]["drug"].removeprefix(KKR)
    by_id = studies(cur)
    expected = Counter(
        (by_id[r.study].label, label(cur, r.harm), r.arm, r.arm_role, num(r.events), num(r.n), num(r.value),
         num(r.time_value), r.time_unit, r.analysis_set, r.id, r.study, r.harm)
        for r in _harm_rows(cur)
        if by_id[r.study].drug == drug
    )
    got = Counter(
        (row["studyLabel"], row["harmLabel"], row["arm"], row.get("armRole"), num(row.get("events")), num(row.get("n")),
         num(row["percent"]), num(row.get("timeValue")), row.get("timeUnit"), row.get("analysisSet"),
         row["result"].removeprefix(KKR), row["study"].removeprefix(KKR), row["harm"].removeprefix(KKR))
        for row in rows
    )
    assert got == expected, f"missing: {list((expected - got).elements())[:3]}; unexpected: {list((got - expected).elements())[:3]}"
    assert_order(rows, "studyLabel", "harmLabel", "armRole", "arm", "result")


@checks("harm-versus-comparator")
def _harm_versus_comparator(cur: Curation, rows: list[dict[str, str]]) -> None:
    harm = rows[0]["harm"].removeprefix(KKR)
    by_id = studies(cur)
    chosen = [r for r in _harm_rows(cur) if r.harm == harm]
    expected = Counter(
        (by_id[a.study].label, opt_label(cur, by_id[a.study].drug), a.subgroup, a.arm, num(a.events), num(a.n),
         num(a.value), c.arm, num(c.events), num(c.n), num(c.value), num(a.time_value), a.time_unit, a.id, c.id,
         a.study)
        for a in chosen
        if a.arm_role == "intervention"
        for c in chosen
        if c.arm_role == "comparator" and c.study == a.study
        and (num(c.time_value), c.time_unit, c.subgroup, c.outcome_definition)
        == (num(a.time_value), a.time_unit, a.subgroup, a.outcome_definition)
    )
    got = Counter(
        (row["studyLabel"], row.get("drugLabel"), row.get("subgroup"), row["arm"], num(row.get("events")),
         num(row.get("n")), num(row["percent"]), row["comparatorArm"], num(row.get("comparatorEvents")), num(row.get("comparatorN")), num(row["comparatorPercent"]),
         num(row.get("timeValue")), row.get("timeUnit"), row["result"].removeprefix(KKR),
         row["comparatorResult"].removeprefix(KKR), row["study"].removeprefix(KKR))
        for row in rows
    )
    assert got == expected, f"missing: {list((expected - got).elements())[:3]}; unexpected: {list((got - expected).elements())[:3]}"
    assert_order(rows, "studyLabel", "arm", "comparatorArm", "result")


def test_harms_by_arm_for_another_drug_form(worker: QueryWorker, curated: Curation) -> None:
    """The drug parameter changes the answer: ketamine's own studies, not esketamine's (issue 18)."""
    rows = run_named(worker, CATALOGUE["harms-by-arm"], {"drug": "ketamine"}).records()
    assert rows and all(row["drug"].removeprefix(KKR) == "ketamine" for row in rows)
    _harms_by_arm(curated, rows)


def test_harm_versus_comparator_for_blood_pressure(worker: QueryWorker, curated: Curation) -> None:
    """Blood-pressure rises: every trial and label table that counted them per arm, drug beside comparator."""
    rows = run_named(worker, CATALOGUE["harm-versus-comparator"], {"harm": "increased-blood-pressure"}).records()
    assert {row["study"].removeprefix(KKR) for row in rows} >= {"study-transform-1", "study-aspire-2", "study-sustain-1"}
    _harm_versus_comparator(curated, rows)


def test_harm_pairs_keep_one_counting_and_one_subgroup(worker: QueryWorker) -> None:
    """Issue 18: a label table that counts blood pressure two ways (as an adverse reaction, and as a rise past a
    threshold, in younger and older patients) pairs each drug row with the comparator row counted the same way,
    never an adverse-reaction row with a threshold row or an older-patient row with a younger one."""
    rows = run_named(worker, CATALOGUE["harm-versus-comparator"], {"harm": "increased-blood-pressure"}).records()
    label = [r for r in rows if r["study"].removeprefix(KKR) == "study-spravato-label-trd-short-term"]
    pairs = {(r["result"].removeprefix(KKR), r["comparatorResult"].removeprefix(KKR)) for r in label}
    prefix = "res-harm-spravato-label-trd-"
    assert (f"{prefix}bp-sbp-rise-40-65-plus-esketamine", f"{prefix}bp-sbp-rise-40-65-plus-placebo") in pairs
    assert (f"{prefix}increased-blood-pressure-esketamine", f"{prefix}increased-blood-pressure-placebo") in pairs
    # one comparator per drug row: the adverse-reaction row, three threshold rows (all ages) and three (65 or older)
    assert len(label) == len({a for a, _ in pairs}) == 7, sorted(pairs)
    assert all(a.removesuffix("-esketamine") == c.removesuffix("-placebo") for a, c in pairs), sorted(pairs)


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
        assert rows
        _claims_for(curated, rows, drug)


def test_evidence_ranks_match_the_ontology() -> None:
    assert set(EVIDENCE) == set(EVIDENCE_RANK)
