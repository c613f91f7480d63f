"""One page for every entity (``/entity?id=kkr:ketamine``), as ontology browsers and Wikidata have.

Statements are grouped: uses by evidence and status, studies and results, risks, monitoring,
alternatives, identifiers as links, then every other statement under its property's label, the
sources as citations, what points here, and a small drawing of the entity's neighbourhood.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import streamlit as st

from ketamine_kg.query.results import Term

from . import data
from .text import entity_md, md_link, md_text

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["entity_page", "statement_groups"]

_SHOWN_ELSEWHERE = {
    "rdfs:label",
    "skos:definition",
    "skos:altLabel",
    "oboInOwl:hasDbXref",
    "skos:exactMatch",
    "skos:closeMatch",
    "rdfs:seeAlso",
    "kk:source",
    "kk:pmid",
    "kk:doi",
    "kk:nct",
    "kk:readAt",
    "kk:authors",
    "kk:year",
    "kk:journal",
    "dcterms:title",
}
_RISKS = """
SELECT ?risk ?riskLabel ?statement ?frequency ?comparator ?boxed WHERE {
  ?statement a kk:AdverseEffectAssociation ; kk:drug ?entity ; kk:adverseEffect ?risk .
  ?risk rdfs:label ?riskLabel .
  OPTIONAL { ?statement kk:frequencyPercent ?frequency }
  OPTIONAL { ?statement kk:comparatorFrequencyPercent ?comparator }
  OPTIONAL { ?statement kk:boxedWarning ?boxed }
} ORDER BY ?riskLabel
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
_STUDIES = """
SELECT ?study ?studyLabel ?result ?resultLabel WHERE {
  ?study a kk:Study .
  { ?study kk:drug ?entity } UNION { ?study kk:condition ?entity }
  OPTIONAL { ?study rdfs:label ?studyLabel }
  OPTIONAL { ?result kk:study ?study . OPTIONAL { ?result rdfs:label ?resultLabel } }
} ORDER BY ?studyLabel
"""


#: Words for the standard properties the graph does not label itself.
PROPERTY_WORDS = {
    "rdfs:subClassOf": "narrower than",
    "rdfs:comment": "comment",
    "owl:equivalentClass": "same as",
    "rdfs:domain": "applies to",
    "rdfs:range": "values are",
    "rdfs:subPropertyOf": "narrower than",
    "dcterms:title": "title",
    "skos:broader": "broader",
    "skos:narrower": "narrower",
}
_TYPE_NOISE = {"owl:NamedIndividual", "owl:Class", "owl:Thing", "rdfs:Resource"}


def statement_groups(properties: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """Outgoing statements grouped under their property's label, types as "is a"; the ones the
    page shows in their own sections are left out."""
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    for prop in properties:
        if prop["p"] in _SHOWN_ELSEWHERE or (prop["p"] == "rdf:type" and prop["id"] in _TYPE_NOISE):
            continue
        if prop["id"].startswith("_:") or (
            prop["p"] == "rdfs:subClassOf" and not prop["id"].startswith(("kk", "http"))
        ):
            continue  # OWL restrictions are blank nodes: the ontology page shows them
        name = "is a" if prop["p"] == "rdf:type" else PROPERTY_WORDS.get(prop["p"], prop["property"])
        if prop not in groups[name]:
            groups[name].append(prop)
    return dict(groups)


def _value_md(prop: dict[str, str]) -> str:
    if prop["id"] and not prop["id"].startswith(("owl:", "rdfs:", "http")):
        return entity_md(prop["id"], prop["value"])
    return md_text(prop["value"])


def entity_page() -> None:
    from .chrome import header

    params = st.query_params
    curie = params.get("id", "")
    path = header("Entity")
    if not curie:
        st.markdown("Open an entity from any label in the app, or search for one on the **Explore** page.")
        return
    details = data.entity_details(path, curie)
    if details is None:
        st.warning(f"Nothing in the graph is called {curie}.")
        return
    projection = data.get_projection(path)
    kind = projection.kind(curie) if curie in projection.graph else ""
    st.subheader(md_text(details.label))
    st.caption(" · ".join(x for x in (kind, md_text(details.curie), md_link(details.iri, details.iri)) if x))
    props = details.properties
    for prop in props:
        if prop["p"] == "skos:definition":
            st.markdown(md_text(prop["value"]))
    synonyms = [p["value"] for p in props if p["p"] == "skos:altLabel"]
    if synonyms:
        st.markdown("**Also called:** " + ", ".join(md_text(s) for s in synonyms))
    if details.links:
        st.markdown("**Identifiers and links:** " + " · ".join(md_link(t, u) for t, u in details.links))
    left, right = st.columns([3, 2])
    # The drawing goes to the browser first: its frame loads (and Cytoscape.js with it) while the
    # sections are worked out and laid out, instead of after all of them.
    with right:
        _neighbourhood(path, curie)
    with left:
        _uses(path, curie, kind)
        _section(
            path,
            details.iri,
            "Risks",
            _RISKS,
            lambda r: (
                entity_md(r["risk"], r["riskLabel"])
                + "".join(
                    (
                        f" · {md_text(r['frequency'])}%" if "frequency" in r else "",
                        f" (comparator {md_text(r['comparator'])}%)" if "comparator" in r else "",
                        " · **boxed warning**" if r.get("boxed") == "true" else "",
                    )
                )
            ),
        )
        _section(
            path,
            details.iri,
            "Monitoring",
            _MONITORING,
            lambda r: entity_md(r["item"], r["label"]) + (f": {md_text(r['text'])}" if "text" in r else ""),
        )
        _section(
            path,
            details.iri,
            "Alternatives",
            _ALTERNATIVES,
            lambda r: (
                entity_md(r["treatment"], r["treatmentLabel"])
                + "".join(f" · {md_text(r[k])}" for k in ("level", "status") if k in r)
            ),
        )
        _section(
            path,
            details.iri,
            "Studies and results",
            _STUDIES,
            lambda r: (
                entity_md(r["study"], r.get("studyLabel", r["study"]))
                + (" → " + entity_md(r["result"], r.get("resultLabel", r["result"])) if "result" in r else "")
            ),
        )
        groups = statement_groups(props)
        if groups:
            st.markdown("**Statements**")
            st.markdown(
                "\n".join(
                    f"- *{md_text(name)}:* " + ", ".join(_value_md(p) for p in values)
                    for name, values in sorted(groups.items(), key=lambda kv: (kv[0] != "is a", kv[0]))
                )
            )
        if details.sources:
            st.markdown(f"**Sources ({len(details.sources)})**")
            st.markdown("\n".join("1. " + c.markdown() for c in details.sources))
        if details.incoming:
            by_property: dict[str, list[dict[str, str]]] = defaultdict(list)
            for row in details.incoming:
                by_property[row["via"]].append(row)
            # Streamlit lays out a closed expander's content all the same (ketamine's: 8 kB of
            # markdown, a third of the page); this one's is sent when it is opened.
            with st.expander(
                f"Mentioned by ({len(details.incoming)})", key=f"mentioned-{curie}", on_change="rerun"
            ) as mentioned:
                if mentioned.open:
                    st.markdown(
                        "\n".join(
                            f"- *{md_text(via)}:* "
                            + ", ".join(entity_md(r["id"], r["statement"]) for r in rows[:60])
                            + (f" and {len(rows) - 60} more" if len(rows) > 60 else "")
                            for via, rows in sorted(by_property.items())
                        )
                    )


@st.cache_data(show_spinner=False, max_entries=1024)
def _section_rows(path: str, iri: str, query: str) -> list[dict[str, str]]:
    """One section's answer, shared by every session: a page opened again asks the store nothing."""
    return data.get_worker(path).run(query, {"entity": Term.iri(iri)}, data.USER_LIMITS).records()


#: Lines a section shows before "Show all": ketamine's 319 studies were 90 kB of markdown that
#: took the browser most of a second to lay out every time the page opened.
SECTION_LINES = 25


def _section(path: str, iri: str, title: str, query: str, line) -> None:
    rows = _section_rows(path, iri, query)
    if rows:
        st.markdown(f"**{title} ({len(rows)})**")
        st.markdown("\n".join("- " + line(r) for r in rows[:SECTION_LINES]))
        if len(rows) > SECTION_LINES and st.toggle(f"Show all {len(rows)}", key=f"all-{title}"):
            st.markdown("\n".join("- " + line(r) for r in rows[SECTION_LINES:]))


def _uses(path: str, curie: str, kind: str) -> None:
    from .evidence_map import LEVELS, evidence_cells

    if kind not in ("drug form", "condition"):
        return
    rows, cols, cells = evidence_cells(path)
    labels = dict(rows) | dict(cols)
    mine = [c for c in cells.values() if curie in (c.drug, c.condition)]
    if not mine:
        return
    other = "condition" if kind == "drug form" else "drug form"
    st.markdown(f"**Uses by evidence and status ({len(mine)})**")
    lines = [f"| {other} | strongest evidence | status | claims | ✓ | ✗ |", "|---|---|---|---|---|---|"]
    for c in sorted(mine, key=lambda c: (-c.best_rank, -c.status_rank)):
        target = c.condition if kind == "drug form" else c.drug
        pair = f"/?drug={c.drug}&condition={c.condition}"
        lines.append(
            f"| {entity_md(target, labels.get(target, target))} | {md_text(LEVELS.get(c.best_rank, '?'))} | "
            f"{md_text(c.best_status)} | [{c.claims}]({pair}) | {c.supports} | {c.against} |"
        )
    st.markdown("\n".join(lines))


@st.cache_resource(show_spinner=False, max_entries=256)
def _neighbourhood_view(path: str, curie: str) -> tuple[nx.MultiDiGraph, dict[str, tuple[float, float]]] | None:
    """The entity's neighbourhood and its layout, worked out once per entity for every session
    (callers only read them): filtering the projection and laying it out was most of a new
    session's run."""
    from ketamine_kg.query.network import subgraph

    from .graphview import positions_for

    projection = data.get_projection(path)
    if curie not in projection.graph:
        return None
    view, _ = subgraph(projection, kinds=None, focus={curie}, expand={curie}, max_nodes=0)
    if view.number_of_nodes() > 40:
        keep = [curie] + sorted((n for n in view if n != curie), key=lambda n: (-projection.graph.degree(n), n))[:39]
        view = view.subgraph(keep).copy()
    # A neighbourhood is laid out on its own: the whole graph's layout crowds one hub's neighbours.
    return view, positions_for(view)


def _neighbourhood(path: str, curie: str) -> None:
    from .graphview import clicked_node, draw

    found = _neighbourhood_view(path, curie)
    if found is None:
        return
    view, positions = found
    clicked = clicked_node("entity-graph")
    if clicked and clicked != curie:
        st.query_params["id"] = clicked
        st.rerun()
    st.markdown(f"**Neighbourhood** ({view.number_of_nodes()} nodes; click one to open its page)")
    draw(view, positions, key="entity-graph", selected=curie, height=460, fit=curie)
