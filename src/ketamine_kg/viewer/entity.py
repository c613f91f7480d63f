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
    "skos:broadMatch",
    "skos:narrowMatch",
    "skos:relatedMatch",
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
    """The page of ``?id=``: titled with the entity's label, its clinical facts first (which ones
    depends on what links to it), then its identifiers, statements, sources and what mentions it.
    Without an id (or with an unknown one) it offers a search."""
    from .chrome import header

    curie = st.query_params.get("id", "")
    path = str(data.graph_path())
    details = data.entity_details(path, curie) if curie else None
    if details is None:
        header("Find an entity")
        if curie:
            st.warning(f"Nothing in the graph is called {curie}.")
        _search(path)
        return
    header(details.label)
    projection = data.get_projection(path)
    kind = projection.kind(curie) if curie in projection.graph else ""
    _head(details, kind)
    left, right = st.columns([3, 2])
    # The drawing goes to the browser first: its frame loads (and Cytoscape.js with it) while the
    # sections are worked out and laid out, instead of after all of them.
    with right:
        _neighbourhood(path, curie)
    with left:
        _facts(path, details, kind)
        _identifiers(path, details)
        _statements(details)
        _mentioned_by(details, curie)


def _search(path: str) -> None:
    """A search box over every labelled entity of the graph: choosing one opens its page."""
    labels = data.all_labels(path)
    choices = sorted((c for c in labels if c.startswith(("kkr:", "kk:"))), key=lambda c: labels[c].casefold())
    picked = st.selectbox(
        "Search the graph by name",
        choices,
        index=None,
        format_func=lambda c: labels.get(c, c),
        placeholder="Type a name: ketamine, dissociation, treatment-resistant depression…",
        key="entity-search",
    )
    st.caption(f"{len(choices):,} entities: drug forms, conditions, risks, studies, results, sources and more.")
    if picked:
        st.query_params["id"] = picked
        st.rerun()


def _head(details: data.Details, kind: str) -> None:
    """What the entity is, its definition and other names; its IRI as a link named by its CURIE."""
    st.caption(" · ".join(x for x in (md_text(kind), md_link(details.curie, details.iri)) if x))
    for prop in details.properties:
        if prop["p"] == "skos:definition":
            st.markdown(md_text(prop["value"]))
    synonyms = [p["value"] for p in details.properties if p["p"] == "skos:altLabel"]
    if synonyms:
        st.markdown("**Also called:** " + ", ".join(md_text(s) for s in synonyms))


def _facts(path: str, details: data.Details, kind: str) -> None:
    """The clinical facts first, chosen by what statements link to the entity: a harm's drug forms
    and frequencies, a drug's uses, risks and monitoring, a condition's uses and what was tried,
    a study's or result's figures. An entity of any other kind has its statements below."""
    from .entity_facts import FACT_SECTIONS

    for section in FACT_SECTIONS:
        section(path, details, kind)


def _identifiers(path: str, details: data.Details) -> None:
    from .identifiers_view import identifier_rows, identifiers_md

    text = identifiers_md(identifier_rows(details.properties, _labels_at_source(path, details.iri)))
    if text:
        st.markdown(text)
    pages = [(t, u) for t, u in details.links if not t.startswith(("http", "MESH:", "MONDO:"))]
    pages = [(t, u) for t, u in pages if ":" not in t or t.startswith(("doi:", "PubMed"))]
    if pages:
        st.markdown("**Links:** " + " · ".join(md_link(t, u) for t, u in pages))


_AT_SOURCE = """
SELECT ?curie ?label WHERE { ?x kk:entity ?entity ; kk:curie ?curie . OPTIONAL { ?x kk:labelAtSource ?label } }
"""


def _labels_at_source(path: str, iri: str) -> dict[str, str]:
    return {r["curie"]: r.get("label", "") for r in section_rows(path, iri, _AT_SOURCE)}


def _statements(details: data.Details) -> None:
    groups = statement_groups(details.properties)
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


def _mentioned_by(details: data.Details, curie: str) -> None:
    """What points here, grouped by how, each group summarized by its count."""
    if not details.incoming:
        return
    by_property: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in details.incoming:
        by_property[row["via"]].append(row)
    summary = ", ".join(f"{len(rows)} as {via}" for via, rows in sorted(by_property.items()))
    # Streamlit lays out a closed expander's content all the same (ketamine's: 8 kB of
    # markdown, a third of the page); this one's is sent when it is opened.
    title = f"Mentioned by {len(details.incoming)} statements ({summary})"[:200]
    with st.expander(title, key=f"mentioned-{curie}", on_change="rerun") as mentioned:
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
def section_rows(path: str, iri: str, query: str) -> list[dict[str, str]]:
    """One section's answer, shared by every session: a page opened again asks the store nothing."""
    return data.get_worker(path).run(query, {"entity": Term.iri(iri)}, data.USER_LIMITS).records()


#: Lines a section shows before "Show all": ketamine's 319 studies were 90 kB of markdown that
#: took the browser most of a second to lay out every time the page opened.
SECTION_LINES = 25


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
