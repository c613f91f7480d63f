"""Issue 20: the explorer's network draws a statement as one edge where the schema says so.

Which statement class becomes a direct edge, and between which two of its fields, is written once:
the ``edge_from``/``edge_to`` annotations of ontology/ketamine-kg.schema.yaml, which the
property-graph exports read (with ``biolink_predicate``) and query/network.py reads (with
``network_relation``). These tests fail when the network's edges and the schema (or the exports)
disagree, or when a direct edge is typed into the network's query by hand again.
"""

from __future__ import annotations

import re

from rdflib import RDF, Graph, URIRef

from ketamine_kg.export.property_graph import _statement_edges
from ketamine_kg.query.network import DIRECT_EDGES, EDGE_QUERY, project
from ketamine_kg.rdf.prefixes import compact_iri
from ketamine_kg.schema.schema_map import CLASSES

#: Statement classes the exports draw as an edge and the explorer does not, each with the reason.
EXPORT_ONLY = {
    "kk:TherapeuticUseClaim": "a claim is a node in the explorer (about drug / about condition / cites edges); "
    "its drug -> condition edges there are the inferred treats and studied to treat",
    "kk:Contraindication": "the explorer has no contraindication view yet; the statement stays a node in the graph",
}


def _annotated(key: str) -> dict[str, tuple[str, str]]:
    """Class CURIE -> (from predicate, to predicate) for the classes with edge_from/edge_to and ``key``."""
    out = {}
    for c in CLASSES.values():
        a = c["annotations"]
        if a.get("edge_from") and a.get("edge_to") and a.get(key):
            out[compact_iri(c["uri"])] = (
                compact_iri(c["slots"][a["edge_from"]]["uri"]),
                compact_iri(c["slots"][a["edge_to"]]["uri"]),
            )
    return out


def test_the_network_draws_what_the_schema_annotates() -> None:
    drawn = {e.cls: (e.source, e.target) for e in DIRECT_EDGES}
    assert drawn == _annotated("network_relation")
    assert len({e.relation for e in DIRECT_EDGES}) == len(DIRECT_EDGES), "two classes share one relation"


def test_no_direct_edge_is_typed_into_the_query_by_hand() -> None:
    """Every branch of EDGE_QUERY that draws a statement as an edge between two other nodes (its
    ``?s`` is not the statement itself) is one the schema annotates."""
    branches = re.split(r"\}\s*UNION\s*\{", EDGE_QUERY)
    direct = set()
    for branch in branches:
        typed = re.search(r"\?statement a (kk:\w+)", branch)
        if typed and "BIND(?statement AS ?s)" not in branch:
            direct.add(typed.group(1))
    assert direct == {e.cls for e in DIRECT_EDGES}


def test_the_network_and_the_exports_agree_on_each_statements_ends() -> None:
    exports = {cls: (compact_iri(str(a)), compact_iri(str(b))) for cls, (a, b, _) in _statement_edges().items()}
    network = {e.cls: (e.source, e.target) for e in DIRECT_EDGES}
    for cls in exports.keys() & network.keys():
        assert exports[cls] == network[cls], cls
    assert set(exports) - set(network) == set(EXPORT_ONLY), "a statement edge of the exports the explorer lacks"


def test_the_projection_has_one_edge_per_annotated_statement(worker, layout) -> None:
    """Checked against the built graph read independently with rdflib: each statement of an
    annotated class whose two ends are nodes of the explorer is one edge, with its statement."""
    projection = project(worker)
    graph = Graph().parse(layout.graph_file("nt"), format="nt")
    expand = {e.cls: e for e in DIRECT_EDGES}
    for cls, edge in expand.items():
        ns = "https://w3id.org/ketamine-kg/ontology#"
        want = set()
        for statement in graph.subjects(RDF.type, URIRef(ns + cls.removeprefix("kk:"))):
            for s in graph.objects(statement, URIRef(ns + edge.source.removeprefix("kk:"))):
                for o in graph.objects(statement, URIRef(ns + edge.target.removeprefix("kk:"))):
                    ends = compact_iri(str(s)), compact_iri(str(o))
                    if all(end in projection.graph for end in ends):
                        want.add((*ends, compact_iri(str(statement))))
        got = {
            (u, v, d["statement"])
            for u, v, d in projection.graph.edges(data=True)
            if d["relation"] == edge.relation
        }
        assert want, f"no {cls} in the graph"
        assert got == want, cls
