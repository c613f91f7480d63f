"""The clinical facts at the top of an entity's page, chosen by what statements link to it.

Each section asks the graph one question about the entity and shows nothing when the answer is
empty, so one list of sections serves every kind of entity: a harm gets the drug forms with it and
how often against the comparator, a drug its uses, risks and monitoring, a condition its uses and
what was tried with which results, a study its results, a result its own line. An entity of any
other kind (a gene, a mechanism) gets its statements and what mentions it, below these.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from . import data
from .result_lines import result_text, results_query, study_results_md
from .text import entity_md, md_text

__all__ = ["FACT_SECTIONS", "SHOWN_STUDIES"]

_HARM = """
SELECT ?statement ?drug ?drugLabel ?frequency ?comparator ?boxed ?note ?sourceLabel WHERE {
  ?statement a kk:AdverseEffectAssociation ; kk:adverseEffect ?entity ; kk:drug ?drug .
  ?drug rdfs:label ?drugLabel .
  OPTIONAL { ?statement kk:frequencyPercent ?frequency }
  OPTIONAL { ?statement kk:comparatorFrequencyPercent ?comparator }
  OPTIONAL { ?statement kk:boxedWarning ?boxed }
  OPTIONAL { ?statement kk:note ?note }
  OPTIONAL { ?statement kk:source/rdfs:label ?sourceLabel }
} ORDER BY DESC(?boxed) ?drugLabel DESC(?frequency)
"""
_RISKS = """
SELECT ?statement ?risk ?riskLabel ?frequency ?comparator ?boxed ?note WHERE {
  ?statement a kk:AdverseEffectAssociation ; kk:drug ?entity ; kk:adverseEffect ?risk .
  ?risk rdfs:label ?riskLabel .
  OPTIONAL { ?statement kk:frequencyPercent ?frequency }
  OPTIONAL { ?statement kk:comparatorFrequencyPercent ?comparator }
  OPTIONAL { ?statement kk:boxedWarning ?boxed }
  OPTIONAL { ?statement kk:note ?note }
} ORDER BY DESC(?boxed) ?riskLabel
"""
_MONITORING = """
SELECT ?item ?label ?text WHERE {
  ?item a kk:MonitoringRequirement ; kk:drug ?entity ; rdfs:label ?label .
  OPTIONAL { ?item kk:requirementText ?text }
} ORDER BY ?label
"""
_ALTERNATIVES = """
SELECT ?treatment ?treatmentLabel ?level ?status WHERE {
  ?statement a kk:AlternativeTreatmentStatement ; kk:condition ?entity ; kk:treatment ?treatment .
  ?treatment rdfs:label ?treatmentLabel .
  OPTIONAL { ?statement kk:evidenceLevel/rdfs:label ?level }
  OPTIONAL { ?statement kk:regulatoryStatus/rdfs:label ?status }
} ORDER BY ?treatmentLabel
"""
#: Studies shown before "Show all": a drug's hundreds of results were a wall.
SHOWN_STUDIES = 8


def _rows(path: str, details: data.Details, query: str) -> list[dict[str, str]]:
    from .entity import section_rows

    return section_rows(path, details.iri, query)


def _brief(text: str, most: int = 70) -> str:
    """The first sentence of a note, cut at a word near ``most`` characters."""
    first = text.split(". ", 1)[0]
    return first if len(first) <= most else first[:most].rsplit(" ", 1)[0] + "…"


def _frequency(r: dict[str, str]) -> str:
    if "frequency" not in r:
        return ""
    text = f"{md_text(r['frequency'])}%"
    return text + (f" vs {md_text(r['comparator'])}% on the comparator" if "comparator" in r else "")


def harm(path: str, details: data.Details, kind: str) -> None:
    """Which drug forms cause it, how often against the comparator, and whether a boxed warning names it."""
    rows = _rows(path, details, _HARM)
    if not rows:
        return
    boxed = sorted({r["drugLabel"] for r in rows if r.get("boxed") == "true"})
    st.markdown(f"**Which drug forms, how often ({len(rows)} statements)**")
    if boxed:
        st.markdown(":red[**Boxed warning**] on the label of " + ", ".join(md_text(b) for b in boxed) + ".")
    lines = [
        "| drug form | how often: drug vs comparator | boxed warning | population or source |",
        "|---|---|---|---|",
    ]
    for r in rows:
        where = _brief(r.get("note") or r.get("sourceLabel", ""))
        lines.append(
            f"| {entity_md(r['drug'], r['drugLabel'])} | {_frequency(r) or 'not given'} | "
            f"{'yes' if r.get('boxed') == 'true' else 'no'} | {entity_md(r['statement'], where or 'statement')} |"
        )
    st.markdown("\n".join(lines))


def risks(path: str, details: data.Details, kind: str) -> None:
    rows = _rows(path, details, _RISKS)
    if not rows:
        return
    st.markdown(f"**Risks ({len(rows)})**")
    lines = ["| risk | drug vs comparator | boxed warning | population or source |", "|---|---|---|---|"]
    for r in rows:
        where = entity_md(r["statement"], _brief(r.get("note", "statement")))
        boxed = "**yes**" if r.get("boxed") == "true" else ""
        lines.append(f"| {entity_md(r['risk'], r['riskLabel'])} | {_frequency(r)} | {boxed} | {where} |")
    st.markdown("\n".join(lines))


def monitoring(path: str, details: data.Details, kind: str) -> None:
    rows = _rows(path, details, _MONITORING)
    if rows:
        st.markdown(f"**Monitoring ({len(rows)})**")
        st.markdown(
            "\n".join(
                "- " + entity_md(r["item"], r["label"]) + (f": {md_text(r['text'])}" if "text" in r else "")
                for r in rows
            )
        )


def alternatives(path: str, details: data.Details, kind: str) -> None:
    rows = _rows(path, details, _ALTERNATIVES)
    if rows:
        st.markdown(f"**Alternatives ({len(rows)})**")
        st.markdown(
            "\n".join(
                "- "
                + entity_md(r["treatment"], r["treatmentLabel"])
                + "".join(f" · {md_text(r[k])}" for k in ("level", "status") if k in r)
                for r in rows
            )
        )


def uses(path: str, details: data.Details, kind: str) -> None:
    from .evidence_map import evidence_cells

    if kind not in ("drug form", "condition"):
        return
    rows, cols, cells = evidence_cells(path)
    labels = dict(rows) | dict(cols)
    mine = [c for c in cells.values() if details.curie in (c.drug, c.condition)]
    if not mine:
        return
    other = "condition" if kind == "drug form" else "drug form"
    st.markdown(f"**Uses by evidence and status ({len(mine)})**")
    lines = [f"| {other} | strongest evidence | status | claims | supports | does not |", "|---|---|---|---|---|---|"]
    for c in sorted(mine, key=lambda c: (-c.best_rank, -c.status_rank)):
        target = c.condition if kind == "drug form" else c.drug
        pair = f"/?drug={c.drug}&condition={c.condition}"
        lines.append(
            f"| {entity_md(target, labels.get(target, target))} | {md_text(c.level)} | "
            f"{md_text(c.best_status)} | [{c.claims}]({pair}) | {c.supports} | {c.against} |"
        )
    st.markdown("\n".join(lines))


@st.cache_resource(show_spinner=False, max_entries=256)
def _study_blocks(path: str, iri: str) -> tuple[tuple[str, ...], int]:
    """The studies section's markdown (one block per study) and its number of results, written
    once per entity for every session: a drug's hundreds of result lines were most of a new
    session's run of its page."""
    from .entity import section_rows

    rows = section_rows(path, iri, results_query("entity"))
    return tuple(study_results_md(rows, per_study=4)), len(rows)


def studies(path: str, details: data.Details, kind: str) -> None:
    """What was tried and how well: the studies of a drug or condition, each with its results as lines."""
    blocks, results = _study_blocks(path, details.iri)
    if not results:
        return
    st.markdown(f"**Studies and results ({len(blocks)} studies, {results} results)**")
    st.markdown("\n\n".join(blocks[:SHOWN_STUDIES]))
    if len(blocks) > SHOWN_STUDIES and st.toggle(f"Show all {len(blocks)} studies", key="all-studies"):
        st.markdown("\n\n".join(blocks[SHOWN_STUDIES:]))


def study(path: str, details: data.Details, kind: str) -> None:
    """A study's own results: every line, then the per-arm table."""
    rows = _rows(path, details, results_query("study"))
    if rows:
        st.markdown(f"**Results ({len(rows)})**")
        st.markdown(study_results_md(rows, per_study=None)[0].split("\n\n", 1)[-1])


def result(path: str, details: data.Details, kind: str) -> None:
    """A result's page opens with its one line."""
    rows = _rows(path, details, results_query("result"))
    if rows:
        st.markdown(f"### {md_text(result_text(rows[0]))}")


#: Every section, in the order the page shows them; each shows nothing where it has nothing.
FACT_SECTIONS: tuple[Callable[[str, data.Details, str], None], ...] = (
    result,
    harm,
    uses,
    risks,
    monitoring,
    alternatives,
    study,
    studies,
)
