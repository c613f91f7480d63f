"""The landing page: an evidence map of drug forms (rows) by conditions (columns).

Each cell shows the strongest design among the pair's studies (its claims' best level only where
it has no study; every pair with studies has a cell, claim or not), the most advanced regulatory
status, how many claims, sources and studies there are and the direction of the claims' findings
(✓ supports, ✗ does not support). A click on a cell (or ``?drug=…&condition=…`` in the URL) lists that pair's
claims with their sources as citations, and its studies and results once the graph has them
(kk:Study with kk:drug and kk:condition, kk:Result with kk:study: every part of that query
is OPTIONAL, so it answers with or without them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast
from urllib.parse import quote

import streamlit as st

from ketamine_kg.query.results import Term
from ketamine_kg.schema.facts import enum_value

from . import data
from .result_lines import results_query, study_results_md
from .text import CITATION_QUERY, citation_from, entity_md, md_text
from .widget import component

__all__ = ["EvidenceCell", "evidence_cells", "home", "map_args", "pair_blocks"]

LEVELS = {0: "preclinical", 1: "case reports", 2: "non-randomized", 3: "one RCT", 4: "several RCTs", 5: "meta-analysis"}
#: Evidence level -> cell colour, light (weak) to dark (strong); text stays dark enough to read.
FILLS = {0: "#f1f3f6", 1: "#e3eefb", 2: "#cfe2f8", 3: "#b5d3f4", 4: "#93bfee", 5: "#6fa9e6"}
STATUS_COLOURS = {
    "approved": "#0b7a33",
    "guideline-established": "#00796b",
    "off-label": "#c15d00",
    "investigational": "#5f6368",
}

_CLAIMS = """
SELECT ?claim ?drug ?drugLabel ?condition ?conditionLabel ?rank ?status ?statusRank ?direction
       (COUNT(DISTINCT ?source) AS ?sources)
WHERE {
  ?claim a kk:TherapeuticUseClaim ; kk:drug ?drug ; kk:condition ?condition ;
         kk:evidenceLevel/kk:rank ?rank ; kk:regulatoryStatus ?s ; kk:direction ?direction .
  ?s rdfs:label ?status ; kk:rank ?statusRank .
  ?drug rdfs:label ?drugLabel .
  ?condition rdfs:label ?conditionLabel .
  OPTIONAL { ?claim kk:source ?source }
}
GROUP BY ?claim ?drug ?drugLabel ?condition ?conditionLabel ?rank ?status ?statusRank ?direction
"""
_HIERARCHY = """
SELECT ?condition ?parent WHERE { ?condition a kk:MedicalCondition . OPTIONAL { ?condition rdfs:subClassOf ?parent } }
"""
_PAIR_CLAIMS = """
SELECT ?claim ?label ?level ?rank ?status ?direction ?directionLabel ?effect ?population ?dose ?comparator ?route
WHERE {
  ?claim a kk:TherapeuticUseClaim ; kk:drug ?drug ; kk:condition ?condition ; rdfs:label ?label ;
         kk:evidenceLevel ?l ; kk:regulatoryStatus/rdfs:label ?status ; kk:direction ?direction .
  ?direction rdfs:label ?directionLabel .
  ?l rdfs:label ?level ; kk:rank ?rank .
  OPTIONAL { ?claim kk:effectSummary ?effect }
  OPTIONAL { ?claim kk:population ?population }
  OPTIONAL { ?claim kk:doseText ?dose }
  OPTIONAL { ?claim kk:comparator ?comparator }
  OPTIONAL { ?claim kk:route/rdfs:label ?route }
} ORDER BY DESC(?rank) ?label
"""


@dataclass
class EvidenceCell:
    """What the map says about one drug form and one condition."""

    drug: str
    condition: str
    claims: int = 0
    sources: int = 0
    studies: int = 0
    supports: int = 0
    against: int = 0
    best_rank: int = -1
    best_status: str = ""
    status_rank: int = -1
    claim_ids: list[str] = field(default_factory=list)
    #: The study base's answer (evidence-by-condition at the pair's own condition): the strongest
    #: design in words ("meta-analysis", "preclinical only ..."), the claims' best level beside it,
    #: and which way the studies' primary results point. ``best_rank`` is the design's rank where
    #: the pair has studies (the claims' best level only where it has none), so the map's colour
    #: follows the studies, not a hand-graded claim.
    design: str = ""
    claim_rank: int = -1
    direction: str = ""
    #: The certainty of the pair's primary pooled estimate in words (evidence-by-condition's rule), and
    #: which estimate that is; empty where the pair has none.
    certainty: str = ""
    certainty_of: str = ""

    @property
    def summary(self) -> str:
        studies = f" ({self.studies} stud{'ies' if self.studies != 1 else 'y'})" if self.studies else ""
        claims = f"{self.claims} claim{'s' * (self.claims != 1)}"
        if self.claims:
            claims += f" (best claim level {LEVELS.get(self.claim_rank, '?')}), {self.sources} sources; "
            claims += f"{self.supports} support, {self.against} do not"
        return (
            f"strongest evidence in the graph: {self.level}{studies}; status {self.best_status or 'no claim'}; "
            + claims
            + (f"; primary results: {self.direction}" if self.direction else "")
            + (f"; certainty of the primary outcome {self.certainty} ({self.certainty_of})" if self.certainty else "")
        )

    @property
    def level(self) -> str:
        """The strongest design in words where the pair has studies, else its claims' best level."""
        return self.design if self.studies else LEVELS.get(self.best_rank, "?")


def _count_claim(cell: EvidenceCell, row: dict) -> None:
    """One therapeutic-use claim counted into its pair's cell: its level, status and direction."""
    cell.claims += 1
    cell.claim_ids.append(row["claim"])
    cell.sources += int(row.get("sources", 0))
    rank, status_rank = int(row["rank"]), int(row["statusRank"])
    cell.best_rank = cell.claim_rank = max(cell.claim_rank, rank)
    if status_rank > cell.status_rank:
        cell.status_rank, cell.best_status = status_rank, row["status"]
    direction = enum_value("Direction", row["direction"])
    if direction == "supports":
        cell.supports += 1
    elif direction == "does-not-support":
        cell.against += 1


def _read_study_base(cell: EvidenceCell, row: dict) -> None:
    """evidence-by-condition's own-condition row read into its pair's cell: the studies' strongest
    design (it outranks the claims' level where there are studies), their direction, the status of a
    pair without claims, and the primary outcome's certainty."""
    cell.studies = int(row.get("studies", 0))
    cell.design = row.get("strongestDesign", "")
    if cell.studies:
        cell.best_rank = int(row["bestEvidenceRank"])
        cell.direction = row.get("direction", "")
    if not cell.claims:
        cell.best_status = row.get("anyStatus", "")
    if row.get("primaryPooled"):
        cell.certainty, cell.certainty_of = row["primaryCertainty"], row.get("primaryOutcome", "")


@st.cache_data(show_spinner=False)
def evidence_cells(path: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[str, EvidenceCell]]:
    """(drug forms, conditions in hierarchy order, cells keyed ``drug|condition``), each as (CURIE, label)."""
    worker = data.get_worker(path)
    drugs: dict[str, str] = {}
    conditions: dict[str, str] = {}
    cells: dict[str, EvidenceCell] = {}
    for row in worker.run(_CLAIMS, None, data.USER_LIMITS).records():
        drugs[row["drug"]] = row["drugLabel"]
        conditions[row["condition"]] = row["conditionLabel"]
        _count_claim(
            cells.setdefault(f"{row['drug']}|{row['condition']}", EvidenceCell(row["drug"], row["condition"])), row
        )
    # The study base, the primary outcome's certainty and every pair with studies but no claim, by
    # evidence-by-condition's rules (one place), at each pair's own condition.
    for row in worker.run(data.get_catalogue()["evidence-by-condition"].text, None, data.USER_LIMITS).records():
        if row.get("scope") != "own condition":
            continue
        drugs.setdefault(row["drug"], row["drugLabel"])
        conditions.setdefault(row["condition"], row["conditionLabel"])
        _read_study_base(
            cells.setdefault(f"{row['drug']}|{row['condition']}", EvidenceCell(row["drug"], row["condition"])), row
        )
    parents: dict[str, str] = {}
    for row in worker.run(_HIERARCHY, None, data.USER_LIMITS).records():
        if "parent" in row:
            parents.setdefault(row["condition"], row["parent"])

    def lineage(c: str) -> list[str]:
        chain, seen = [], set()
        while c and c not in seen:
            seen.add(c)
            chain.append(c)
            c = parents.get(c, "")
        return chain[::-1]

    def claims_under(c: str) -> int:
        return sum(cell.claims for cell in cells.values() if cell.condition == c)

    order = sorted(conditions, key=lambda c: [(-claims_under(a), conditions.get(a, a)) for a in lineage(c)])
    drug_order = sorted(drugs, key=lambda d: (-sum(c.claims for c in cells.values() if c.drug == d), drugs[d]))
    return [(d, drugs[d]) for d in drug_order], [(c, conditions[c]) for c in order], cells


def map_args(rows: list[tuple[str, str]], cols: list[tuple[str, str]], cells: dict[str, EvidenceCell]) -> dict:
    """The component's arguments for the map: plain text and colours only."""
    out = {}
    for key, cell in cells.items():
        counts = f"{cell.claims} claim{'s' * (cell.claims != 1)}"
        if cell.studies:
            counts += f", {cell.studies} stud{'ies' if cell.studies != 1 else 'y'}"
        if cell.certainty:
            counts += f"; certainty {cell.certainty}"
        out[key] = {
            "level": cell.level,
            "status": cell.best_status or "?",
            "statusColor": STATUS_COLOURS.get(cell.best_status, "#5f6368"),
            "fill": FILLS.get(cell.best_rank, "#f1f3f6"),
            "counts": counts,
            "supports": cell.supports,
            "against": cell.against,
            "summary": cell.summary,
        }
    legend = [{"fill": FILLS[r], "text": LEVELS[r]} for r in sorted(LEVELS)]
    return {
        "rows": [{"id": i, "label": t} for i, t in rows],
        "cols": [{"id": i, "label": t} for i, t in cols],
        "cells": out,
        "legend": legend,
    }


def home() -> None:
    from .chrome import header

    path = header("Ketamine in psychiatry: the evidence at a glance")
    st.markdown(
        "Each cell: the **strongest evidence** in the graph's studies of that drug form in that condition "
        "(darker = stronger; the claims' level where there is no study), its "
        "**regulatory status** (most advanced), how many **claims** and **sources** back it, and the direction "
        "of the findings (**✓** supports, **✗** does not support). Click a cell for its claims, sources and "
        "results; the network is on the [Explore](/explore) page, numbers and forest plots on "
        "[Evidence](/evidence), what they add up to and how certain on [Summary of findings](/summary-of-findings), "
        "any drug, condition or harm by name on [Entity](/entity)."
    )
    _map(path)
    data.FIRST_PAGE_SERVED.set()


@st.fragment
def _map(path: str) -> None:
    """The map and the picked pair's claims: a click on a cell reruns only this part, so the
    browser is not sent (and does not lay out again) the rest of the page."""
    rows, cols, cells = evidence_cells(path)
    params = st.query_params
    drug, condition = params.get("drug"), params.get("condition")
    # A click is read before the map is drawn, so one run marks the cell and lists its claims.
    clicked = st.session_state.get("evidence-map")
    clicked_now = isinstance(clicked, dict) and clicked.get("n") != st.session_state.get("map-seen")
    if isinstance(clicked, dict) and clicked_now:
        st.session_state["map-seen"] = clicked.get("n")
        # The map component's click always carries both.
        clicked_drug, clicked_condition = cast(str, clicked.get("drug")), cast(str, clicked.get("condition"))
        drug, condition = clicked_drug, clicked_condition
        params["drug"], params["condition"] = clicked_drug, clicked_condition
    selected = f"{drug}|{condition}" if drug and condition else ""
    component(mode="map", selected=selected, key="evidence-map", default=None, **map_args(rows, cols, cells))
    if drug and condition:
        with st.container(key="kk-pair"):
            _pair(path, drug, condition, cells.get(f"{drug}|{condition}"), dict(rows), dict(cols))
        if clicked_now:
            from .chrome import scroll_into_view

            scroll_into_view("kk-pair")


def _pair(path: str, drug: str, condition: str, cell: EvidenceCell | None, drugs: dict, conditions: dict) -> None:
    drug_label, condition_label = drugs.get(drug, drug), conditions.get(condition, condition)
    st.subheader(md_text(f"{drug_label} for {condition_label}"))
    st.markdown(f"{entity_md(drug, drug_label)} · {entity_md(condition, condition_label)}")
    if cell is None:
        st.info("The graph has no claim and no study about this drug form for this condition.")
        return
    st.markdown(md_text(cell.summary[0].upper() + cell.summary[1:] + "."))
    if cell.certainty:
        address = f"/summary-of-findings?condition={quote(condition, safe=':')}"
        st.markdown(f"[Summary of findings for {md_text(condition_label)}]({address})")
    for block in pair_blocks(path, drug, condition):
        st.markdown(block)


@st.cache_data(show_spinner=False, max_entries=128)
def pair_blocks(path: str, drug: str, condition: str) -> list[str]:
    """The markdown of one pair's claims (one block each, with its sources as citations), then its
    studies and results: worked out once per pair and shared by every session."""
    worker = data.get_worker(path)
    binding = {"drug": Term.iri(_expand(drug)), "condition": Term.iri(_expand(condition))}
    blocks = []
    for claim in worker.run(_PAIR_CLAIMS, binding, data.USER_LIMITS).records():
        direction = enum_value("Direction", claim["direction"])
        mark = "✓" if direction == "supports" else "✗" if direction == "does-not-support" else "•"
        # One markdown block per claim: fewer elements for the browser to lay out on each click.
        text = (
            f"**{mark} {entity_md(claim['claim'], claim['label'])}**  \n"
            f"{md_text(claim['level'])} · {md_text(claim['status'])} · {md_text(claim['directionLabel'])}"
        )
        facts = [
            (name, claim[k])
            for name, k in (
                ("Effect", "effect"),
                ("Population", "population"),
                ("Dose", "dose"),
                ("Route", "route"),
                ("Compared with", "comparator"),
            )
            if k in claim
        ]
        if facts:
            text += "  \n" + "  \n".join(f"*{name}:* {md_text(value)}" for name, value in facts)
        sources = worker.run(CITATION_QUERY, {"entity": Term.iri(_expand(claim["claim"]))}, data.USER_LIMITS).records()
        if sources:
            text += "\n\n" + "\n".join("- " + citation_from(row).markdown() for row in sources)
        blocks.append(text + "\n\n---")
    results = worker.run(results_query("pair"), binding, data.USER_LIMITS).records()
    if results:
        studies = study_results_md(results, per_study=None)
        blocks.append(f"**Studies and results ({len(studies)} studies, {len(results)} results)**")
        blocks.extend(studies)
    return blocks


def _expand(curie: str) -> str:
    from ketamine_kg.query.catalogue import expand

    return expand(curie)
