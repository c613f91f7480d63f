"""The explorer's other pages: Evidence, Ontology, Paths, Downloads. Each ``app/views/*.py``
script calls one page function (the map, Explore, Entity and Ask pages have modules of their own).

Every view keeps its state in the URL's query parameters, so a copied link reopens the same view.
"""

from __future__ import annotations

import streamlit as st

from ketamine_kg.errors import KetamineKGError

from . import data
from .answers import show_table
from .chrome import condition_picker, header
from .graphview import draw
from .results_view import evidence_chart, frame_of, only, show_error
from .text import entity_md, md_text

__all__ = ["downloads", "evidence", "header", "ontology", "paths"]


# -- Evidence ----------------------------------------------------------------------------------------
def evidence() -> None:
    path = header("Evidence")
    catalogue = data.get_catalogue()
    worker = data.get_worker(path)
    overview = worker.run(catalogue["evidence-by-condition"].text, None, data.USER_LIMITS)
    st.subheader("Conditions by best evidence level and regulatory status")
    st.markdown("The same at a glance, with every claim a click away: the **Evidence map** (the first page).")
    evidence_chart(frame_of(overview))
    st.subheader("One condition: ketamine's claims beside the alternatives")
    condition = condition_picker(path, "evidence-condition")
    columns = (
        (
            "Ketamine forms: claims and sources",
            "sources-for-condition",
            "No claims about this condition.",
            ["claim", "drugLabel", "claimConditionLabel", "direction", "source", "title", "year", "pmid"],
        ),
        (
            "Alternatives, with their own status",
            "alternatives-for-condition",
            "No alternatives recorded for this condition.",
            ["treatment", "treatmentLabel", "kind", "status", "evidence"],
        ),
    )
    for column, (title, name, empty, shown) in zip(st.columns(2), columns, strict=True):
        with column:
            st.markdown(f"**{title}**")
            q = catalogue[name]
            result = worker.run(q.text, q.bindings({"condition": condition}), data.USER_LIMITS)
            if not result.rows:
                st.write(empty)
            else:
                show_table(only(result, shown), data.all_labels(path), key=name)

    from .pooling_view import evidence_numbers

    evidence_numbers(path)


# -- Ontology ----------------------------------------------------------------------------------------
_CLASSES = """
SELECT ?class ?label ?parent ?definition WHERE {
  ?class a owl:Class ; rdfs:label ?label .
  FILTER(STRSTARTS(STR(?class), "https://w3id.org/ketamine-kg/"))
  OPTIONAL { ?class rdfs:subClassOf ?parent . FILTER(isIRI(?parent)) }
  OPTIONAL { ?class skos:definition ?definition }
} ORDER BY ?label
"""
_PROPERTIES = """
SELECT ?property ?label ?kind ?domain ?range ?definition WHERE {
  VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty }
  ?property a ?kind ; rdfs:label ?label .
  FILTER(STRSTARTS(STR(?property), "https://w3id.org/ketamine-kg/ontology#"))
  OPTIONAL { ?property rdfs:domain ?domain }
  OPTIONAL { ?property rdfs:range ?range }
  OPTIONAL { ?property skos:definition ?definition }
} ORDER BY ?kind ?label
"""


_INDIVIDUALS = """
SELECT ?item ?label ?class ?classLabel WHERE {
  ?item a owl:NamedIndividual ; a ?class ; rdfs:label ?label .
  ?class a owl:Class ; rdfs:label ?classLabel .
  FILTER(STRSTARTS(STR(?class), "https://w3id.org/ketamine-kg/"))
} ORDER BY ?classLabel ?label
"""


def ontology() -> None:
    path = header("Ontology")
    worker = data.get_worker(path)
    classes = worker.run(_CLASSES, None, data.USER_LIMITS).records()
    children: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    parents: dict[str, set[str]] = {}
    for row in classes:
        labels[row["class"]] = row["label"]
        if "parent" in row:
            parents.setdefault(row["class"], set()).add(row["parent"])
    for cls, ps in parents.items():
        for p in ps:
            children.setdefault(p, []).append(cls)
    roots = sorted((c for c in labels if not (parents.get(c, set()) & set(labels))), key=lambda c: labels[c].casefold())
    members: dict[str, list[tuple[str, str]]] = {}
    for row in worker.run(_INDIVIDUALS, None, data.USER_LIMITS).records():
        members.setdefault(row["class"], []).append((row["item"], row["label"]))
    left, right = st.columns(2)
    with left:
        st.subheader(f"Classes ({len(labels)})")
        st.caption("Each class with the number of its own members; a name opens its page.")
        lines: list[str] = []

        def walk(node: str, depth: int, seen: frozenset[str]) -> None:
            count = len(members.get(node, []))
            lines.append(
                "    " * depth + f"- {entity_md(node, labels.get(node, node))}" + (f" ({count})" if count else "")
            )
            for child in sorted(children.get(node, []), key=lambda c: (labels[c] if c in labels else c).casefold()):
                if child not in seen:
                    walk(child, depth + 1, seen | {child})

        for root in roots:
            walk(root, 0, frozenset({root}))
        st.markdown("\n".join(lines))
    with right:
        st.subheader(f"Individuals ({sum(len(v) for v in members.values())})")
        st.caption("The things the graph describes, under their classes.")
        for cls in sorted(members, key=lambda c: (labels[c] if c in labels else c).casefold()):
            items = members[cls]
            with st.expander(f"{labels.get(cls, cls)} ({len(items)})"):
                st.markdown("\n".join("- " + entity_md(i, label) for i, label in items))
    st.subheader("Properties")
    show_table(worker.run(_PROPERTIES, None, data.USER_LIMITS), data.all_labels(path), key="properties")


# -- Paths -------------------------------------------------------------------------------------------
def step_md(projection, a: str, b: str) -> str:
    """One step of a path in words: the relation between ``a`` and ``b`` as the graph states it,
    read the way the graph's edge runs (``a —treats→ b`` or ``a ←has risk— b``), since a path
    found without regard to direction must not read as a chain of causes."""
    graph = projection.graph
    forward = sorted({d.get("relation", "") for d in graph.get_edge_data(a, b, default={}).values()})
    backward = sorted({d.get("relation", "") for d in graph.get_edge_data(b, a, default={}).values()})
    if forward:
        return f" —*{md_text(', '.join(forward))}*→ "
    if backward:
        return f" ←*{md_text(', '.join(backward))}*— "
    return " · "


def path_md(projection, nodes: list[str]) -> str:
    """A path as its labels (links to their pages) with the relation named on every step."""
    out = entity_md(nodes[0], projection.labels.get(nodes[0], nodes[0]))
    for a, b in zip(nodes, nodes[1:], strict=False):
        out += step_md(projection, a, b) + entity_md(b, projection.labels.get(b, b))
    return out


def _path_ends(projection) -> tuple[str, str]:
    nodes = sorted(
        projection.graph,
        key=lambda n: (
            projection.kind(n) == "source",
            (projection.labels[n] if n in projection.labels else n).casefold(),
        ),
    )

    def fmt(n: str) -> str:
        return f"{projection.labels.get(n, n)} ({projection.kind(n)})"

    a_default = st.query_params.get("from", "kkr:ketamine")
    b_default = st.query_params.get("to", "kkr:post-traumatic-stress-disorder")
    col_a, col_b = st.columns(2)
    source = col_a.selectbox(
        "From", nodes, index=nodes.index(a_default) if a_default in nodes else 0, format_func=fmt, key="from"
    )
    target = col_b.selectbox(
        "To", nodes, index=nodes.index(b_default) if b_default in nodes else 1, format_func=fmt, key="to"
    )
    st.query_params["from"], st.query_params["to"] = source, target
    return source, target


def paths() -> None:
    from ketamine_kg.query.network import evidence_path, shortest_paths

    path = header("Paths")
    projection = data.get_projection(path)
    st.markdown(
        "How is one thing connected to another? Each step names the relation the graph states, with its arrow "
        "the way the statement runs: a path is a chain of statements, not of causes. Shortest paths ignore "
        "direction; the evidence-weighted path prefers edges backed by stronger evidence."
    )
    source, target = _path_ends(projection)
    found = shortest_paths(projection, source, target)
    weighted = evidence_path(projection, source, target)
    if not found:
        st.warning("These two are not connected.")
        return
    st.markdown("**Shortest paths**")
    st.markdown("\n".join("- " + path_md(projection, p) for p in found))
    if weighted:
        st.markdown("**Evidence-weighted path:** " + path_md(projection, weighted))
    keep = {n for p in found for n in p} | set(weighted)
    draw(
        projection.graph.subgraph(keep).copy(), data.get_positions(path), key="paths-graph", selected=source, height=460
    )


# -- Downloads ---------------------------------------------------------------------------------------
@st.cache_data(show_spinner="Preparing the tables…", max_entries=1)
def _tables(path: str) -> tuple[bytes, bytes]:
    """The clinicians' tables as a zip of CSV files and as an XLSX workbook, once per graph."""
    from .pooling_view import pooling_rows
    from .spreadsheet import csv_zip, tables, xlsx

    worker = data.get_worker(path)
    sheets = tables(lambda query: worker.run(query, None, data.USER_LIMITS).records(), pooling_rows(path))
    return csv_zip(sheets), xlsx(sheets)


def _clinician_tables() -> None:
    st.subheader("Tables for a spreadsheet")
    st.markdown(
        "The claims, studies, results and published pooled estimates (the results of meta-analyses and pooled "
        "analyses) as tables, with a data dictionary. Each result has the line the explorer prints for it "
        "(outcome, time, measure, value with CI and p, arms, subgroup or analysis set) beside its separate "
        "figures, and the columns that say what it means: contrast order, comparison, endpoint role, "
        "subgroup and analysis set."
    )
    archive, workbook = _tables(str(data.graph_path()))
    left, right = st.columns(2)
    left.download_button(
        f"ketamine-kg-tables.xlsx (Excel, {len(workbook) / 1024:,.0f} KiB)",
        workbook,
        "ketamine-kg-tables.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="dl-tables-xlsx",
    )
    right.download_button(
        f"ketamine-kg-tables.zip (CSV files, {len(archive) / 1024:,.0f} KiB)",
        archive,
        "ketamine-kg-tables.zip",
        "application/zip",
        key="dl-tables-csv",
    )


def downloads() -> None:
    header("Downloads")
    from ketamine_kg.layout import GRAPH_FILES

    layout = data.get_layout()
    st.markdown(
        "The whole graph (ontology, curated facts and inferences) in every format the build produces. "
        "The same files are in the repository under `graph/` and `ontology/`."
    )
    mime = {
        "nt": "application/n-triples",
        "turtle": "text/turtle",
        "xml": "application/rdf+xml",
        "json-ld": "application/ld+json",
    }
    for fmt, name in GRAPH_FILES.items():
        file = layout.graph_dir / name
        if file.is_file():
            st.download_button(
                f"{name} ({fmt}, {file.stat().st_size / 1024:,.0f} KiB)",
                file.read_bytes(),
                name,
                mime[fmt],
                key=f"dl-{fmt}",
            )
    for name in ("ketamine.owl", "ketamine.ttl", "shapes-generated.ttl", "shapes.ttl"):
        file = layout.ontology_dir / name
        if file.is_file():
            st.download_button(f"ontology/{name}", file.read_bytes(), name, key=f"dl-{name}")
    _clinician_tables()
    st.subheader("For other tools")
    st.markdown(
        "Named graphs that keep provenance apart (ontology, curated, inferred), and property graphs in "
        "which each claim keeps its evidence level, status, direction and sources "
        "(the same files as `ketamine-kg export`)."
    )
    from ketamine_kg.export.writer import FORMATS

    if st.button(
        "Prepare TriG, N-Quads, GraphML, GEXF, Neo4j and KGX files", key="prepare-exports"
    ) or st.session_state.get("exports-ready"):
        st.session_state["exports-ready"] = True
        try:
            exports = data.tool_exports(str(layout.root))
        except KetamineKGError as exc:
            show_error(exc)
            return
        for fmt, (name, content, mime_type) in exports.items():
            st.download_button(f"{name} — {FORMATS[fmt]}", content, name, mime_type, key=f"dl-export-{fmt}")
