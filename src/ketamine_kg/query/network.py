"""Project the graph into networkx: the explorer's view, neighbourhoods and evidence-weighted paths.

SPARQL picks the edges (one query, run once and cached by the viewer); networkx analyses them.
The projection is a MultiDiGraph keyed by CURIE, each edge keeping its predicate and, for claims,
its evidence rank and regulatory status, so styling and path weights need no further queries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import networkx as nx

from ketamine_kg.query.results import QueryResult, compact
from ketamine_kg.query.worker import Worker
from ketamine_kg.rdf.prefixes import compact_iri
from ketamine_kg.schema.facts import enum_value
from ketamine_kg.schema.schema_map import CLASSES

__all__ = [
    "DIRECT_EDGES",
    "DirectEdge",
    "EDGE_QUERY",
    "NODE_QUERY",
    "NODE_TYPES",
    "Projection",
    "condition_nodes",
    "evidence_path",
    "project",
    "shortest_paths",
    "subgraph",
]

#: The kinds of node the explorer shows, most specific first (a drug product is also a drug).
NODE_TYPES: dict[str, str] = {
    "kk:DrugProduct": "drug form",
    "kk:Drug": "drug form",
    "kk:MedicalCondition": "condition",
    "kk:TherapeuticUseClaim": "claim",
    "kk:AdverseEffect": "risk",
    "kk:ClinicalSetting": "setting",
    "kk:MonitoringRequirement": "monitoring",
    "kk:Treatment": "alternative",
    "kk:Source": "source",
    "kk:Mechanism": "mechanism",
}

#: Every node with its label, kind and synonyms. Fixed text: nothing from users is pasted in.
NODE_QUERY = """
SELECT ?node ?label ?type (GROUP_CONCAT(DISTINCT ?synonym; separator="|") AS ?synonyms)
WHERE {
  VALUES ?type { kk:DrugProduct kk:Drug kk:MedicalCondition kk:TherapeuticUseClaim kk:AdverseEffect
                 kk:ClinicalSetting kk:MonitoringRequirement kk:Treatment kk:Source kk:Mechanism }
  ?node a ?type ; rdfs:label ?label .
  OPTIONAL { ?node skos:altLabel ?synonym }
}
GROUP BY ?node ?label ?type
"""


@dataclass(frozen=True)
class DirectEdge:
    """A statement class the explorer draws as one edge, as the schema's annotations say: from the
    value of its ``edge_from`` field to that of its ``edge_to`` field, named ``relation``."""

    cls: str  # the class's CURIE (kk:AdverseEffectAssociation)
    source: str  # the predicate of the edge_from field (kk:drug)
    target: str  # the predicate of the edge_to field (kk:adverseEffect)
    relation: str  # the words the explorer shows (its network_relation annotation)
    ranked: bool  # the class has an evidence level: the edge carries its rank
    with_status: bool  # the class has a regulatory status: the edge carries its label


def _direct_edges() -> tuple[DirectEdge, ...]:
    found = []
    for c in CLASSES.values():
        a, slots = c["annotations"], c["slots"]
        if a.get("edge_from") and a.get("edge_to") and a.get("network_relation"):
            found.append(
                DirectEdge(
                    compact_iri(c["uri"]),
                    compact_iri(slots[a["edge_from"]]["uri"]),
                    compact_iri(slots[a["edge_to"]]["uri"]),
                    a["network_relation"],
                    "evidence_level" in slots,
                    "regulatory_status" in slots,
                )
            )
    return tuple(found)


#: The statement classes drawn as direct edges (``edge_from``/``edge_to`` and ``network_relation``
#: in ontology/ketamine-kg.schema.yaml; the property-graph exports read the same two annotations).
DIRECT_EDGES: tuple[DirectEdge, ...] = _direct_edges()


def _branch(edge: DirectEdge) -> str:
    """One UNION branch of :data:`EDGE_QUERY` for a direct edge; CURIEs and words from the schema only."""
    pattern = f"?statement a {edge.cls} ; {edge.source} ?s ; {edge.target} ?o"
    if edge.ranked:
        pattern += " ; kk:evidenceLevel/kk:rank ?rank"
    if edge.with_status:
        pattern += " ; kk:regulatoryStatus/rdfs:label ?status"
    return f"    {pattern} .\n    BIND({json.dumps(edge.relation)} AS ?relation)"


#: The edges the explorer draws. Claims and monitoring requirements are nodes whose fields are
#: edges (claims keep their evidence rank, status and direction); the statements the schema marks
#: with a ``network_relation`` (adverse effects, alternatives, mechanisms) are drawn as direct
#: edges that carry their statement's attributes.
EDGE_QUERY = (
    """
SELECT ?s ?relation ?o ?statement ?rank ?status ?direction
WHERE {
  {
    VALUES (?p ?relation) {
      (kk:drug "about drug") (kk:condition "about condition") (kk:source "cites") (kk:setting "in setting")
    }
    ?statement a kk:TherapeuticUseClaim ; ?p ?o ; kk:evidenceLevel/kk:rank ?rank ;
               kk:regulatoryStatus/rdfs:label ?status ; kk:direction ?direction .
    BIND(?statement AS ?s)
  } UNION {
    ?statement a kk:MonitoringRequirement ; kk:drug ?o .
    BIND(?statement AS ?s) BIND("required for" AS ?relation)
  } UNION {
    ?statement a kk:MonitoringRequirement ; kk:mitigates ?o .
    BIND(?statement AS ?s) BIND("mitigates" AS ?relation)
  } UNION {
    ?statement a kk:MonitoringRequirement ; kk:setting ?o .
    BIND(?statement AS ?s) BIND("in setting" AS ?relation)
  } UNION {
"""
    + "\n  } UNION {\n".join(_branch(e) for e in DIRECT_EDGES)
    + """
  } UNION {
    ?s a kk:MedicalCondition ; rdfs:subClassOf ?o . ?o a kk:MedicalCondition .
    BIND("narrower than" AS ?relation)
  } UNION {
    VALUES (?p ?relation) { (kk:treats "treats") (kk:studiedToTreat "studied to treat") }
    ?s ?p ?o .
  }
}
"""
)


@dataclass
class Projection:
    """The explorer's graph: nodes keyed by CURIE with label, kind and synonyms; typed edges."""

    graph: nx.MultiDiGraph
    labels: dict[str, str] = field(default_factory=dict)

    def kind(self, node: str) -> str:
        return self.graph.nodes[node].get("kind", "other")

    def search(self, text: str, limit: int = 20) -> list[str]:
        """Nodes whose label or a synonym contains ``text`` (case-insensitive), best first."""
        needle = text.strip().casefold()
        if not needle:
            return []
        scored = []
        for node, data in self.graph.nodes(data=True):
            names = [data.get("label", node), *data.get("synonyms", ())]
            folded = [n.casefold() for n in names]
            if any(needle in n for n in folded):
                exact = any(n == needle for n in folded)
                prefix = any(n.startswith(needle) for n in folded)
                scored.append((not exact, not prefix, len(data.get("label", "")), node))
        return [node for *_, node in sorted(scored)[:limit]]


def _rows(result: QueryResult) -> list[dict[str, Any]]:
    return [{v: t for v, t in zip(result.variables, row, strict=False) if t is not None} for row in result.rows]


def project(worker: Worker, max_rows: int = 2_000_000) -> Projection:
    """Run the two projection queries and build the networkx graph."""
    from ketamine_kg.query.engine import Limits

    limits = Limits(timeout=120, max_rows=max_rows)
    g: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    labels: dict[str, str] = {}
    for row in _rows(worker.run(NODE_QUERY, None, limits)):
        node = compact(row["node"])
        kind = NODE_TYPES.get(compact(row["type"]), "other")
        if node in g and _more_specific(g.nodes[node]["kind"], kind):
            continue
        synonyms = tuple(s for s in row["synonyms"].value.split("|") if s) if "synonyms" in row else ()
        g.add_node(node, label=row["label"].value, kind=kind, synonyms=synonyms)
        labels[node] = row["label"].value
    for row in _rows(worker.run(EDGE_QUERY, None, limits)):
        s, o = compact(row["s"]), compact(row["o"])
        if s not in g or o not in g:
            continue
        attrs: dict[str, Any] = {"relation": row["relation"].value}
        if "statement" in row:
            attrs["statement"] = compact(row["statement"])
        if "rank" in row:
            attrs["rank"] = int(row["rank"].value)
        if "status" in row:
            attrs["status"] = row["status"].value
        if "direction" in row:
            # The schema's value ('does-not-support'), not the ontology's label: code compares it.
            attrs["direction"] = enum_value("Direction", compact(row["direction"]))
        g.add_edge(s, o, key=attrs["relation"] + "|" + attrs.get("statement", ""), **attrs)
    return Projection(g, labels)


_SPECIFICITY = [
    "drug form",
    "condition",
    "claim",
    "risk",
    "setting",
    "monitoring",
    "mechanism",
    "alternative",
    "source",
    "other",
]


def _more_specific(existing: str, new: str) -> bool:
    return _SPECIFICITY.index(existing) <= _SPECIFICITY.index(new)


def subgraph(
    projection: Projection,
    *,
    kinds: set[str] | None = None,
    relations: set[str] | None = None,
    min_rank: int = 0,
    condition: str | None = None,
    focus: set[str] | None = None,
    expand: set[str] | None = None,
    max_nodes: int = 150,
) -> tuple[nx.MultiDiGraph, int]:
    """The part of the graph to draw, and how many nodes matched before the cap.

    ``condition`` keeps that condition, the conditions under it, the claims and alternatives about
    them and what hangs on those claims (drug form, sources, setting), nothing else. Nodes are
    kept in order of degree (the most connected first) up to ``max_nodes``, so a large graph never
    reaches the browser whole. ``focus`` nodes are always drawn (with their edges to what is drawn);
    each ``expand`` node adds itself and its direct neighbours that pass the filters: one hop.
    """
    g = projection.graph
    filtered = _filtered(g, kinds, relations, min_rank)
    view = filtered
    if condition:
        keep = condition_nodes(projection, condition)
        view = filtered.subgraph(keep & set(filtered)).copy()
    matched = view.number_of_nodes()
    pinned = [n for n in sorted(focus or ()) if n in g]
    if matched > max_nodes:
        ranked = sorted((n for n in view if n not in pinned), key=lambda n: (-view.degree(n), n))
        view = view.subgraph([n for n in pinned if n in view] + ranked[: max(0, max_nodes - len(pinned))]).copy()
    else:
        view = view.copy()
    _add_pinned_and_expanded(view, g, filtered, pinned, expand or set())
    return view, matched


def _filtered(g: nx.MultiDiGraph, kinds: set[str] | None, relations: set[str] | None, min_rank: int) -> nx.MultiDiGraph:
    """The nodes of the chosen kinds and the edges of the chosen relations at ``min_rank`` or above;
    claims below the minimum evidence level go, even if something else still links to them."""

    def edge_ok(data: dict[str, Any]) -> bool:
        if relations is not None and data["relation"] not in relations:
            return False
        return data.get("rank", min_rank) >= min_rank

    filtered: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    filtered.add_nodes_from((n, d) for n, d in g.nodes(data=True) if kinds is None or d.get("kind") in kinds)
    for u, v, k, d in g.edges(keys=True, data=True):
        if u in filtered and v in filtered and edge_ok(d):
            filtered.add_edge(u, v, key=k, **d)
    if min_rank > 0:
        weak = [
            n
            for n in filtered
            if g.nodes[n].get("kind") == "claim"
            and not any(d.get("rank", 0) >= min_rank for _, _, d in g.out_edges(n, data=True))
        ]
        filtered.remove_nodes_from(weak)
    return filtered


def _add_pinned_and_expanded(
    view: nx.MultiDiGraph, g: nx.MultiDiGraph, filtered: nx.MultiDiGraph, pinned: list[str], expand: set[str]
) -> None:
    """Draw the ``pinned`` nodes and each ``expand`` node with its direct neighbours that pass the
    filters (one hop), with their edges to what is drawn."""
    extra = set(pinned)
    for n in sorted(expand):
        if n in g:
            extra.add(n)
            if n in filtered:
                extra |= set(filtered.successors(n)) | set(filtered.predecessors(n))
    for n in extra:
        if n not in view:
            view.add_node(n, **g.nodes[n])
    present = set(view)
    for n in extra & set(filtered):
        for u, v, k, d in [*filtered.out_edges(n, keys=True, data=True), *filtered.in_edges(n, keys=True, data=True)]:
            if u in present and v in present:
                view.add_edge(u, v, key=k, **d)


def condition_nodes(projection: Projection, condition: str) -> set[str]:
    """A condition, the conditions under it, the claims and alternative treatments about them,
    the drug forms with a direct treats edge to them, and what hangs on those claims."""
    g = projection.graph
    # Build the hierarchy once and take the condition's ancestors in it: a path test per
    # condition (each rebuilding the hierarchy) took minutes on a graph 100 times larger.
    hierarchy = _hierarchy(g)
    below = nx.ancestors(hierarchy, condition) if condition in hierarchy else set()
    under = {n for n in g if g.nodes[n].get("kind") == "condition" and (n == condition or n in below)}
    keep = set(under)
    for c in under:
        for u, _, d in g.in_edges(c, data=True):
            if d["relation"] in ("about condition", "alternative for", "treats", "studied to treat"):
                keep.add(u)
                if g.nodes[u].get("kind") == "claim":
                    keep |= set(g.successors(u))  # its drug form, sources and setting
    return keep


def _hierarchy(g: nx.MultiDiGraph) -> nx.DiGraph:
    h: nx.DiGraph[str] = nx.DiGraph()
    h.add_edges_from((u, v) for u, v, d in g.edges(data=True) if d["relation"] == "narrower than")
    h.add_nodes_from(n for n in g if g.nodes[n].get("kind") == "condition")
    return h


def shortest_paths(projection: Projection, source: str, target: str, limit: int = 5) -> list[list[str]]:
    """Up to ``limit`` shortest paths between two nodes, ignoring edge direction."""
    undirected: nx.Graph[str] = nx.Graph(projection.graph)
    try:
        paths = nx.shortest_simple_paths(undirected, source, target)
        return list(islice(paths, limit))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return []


def evidence_path(projection: Projection, source: str, target: str) -> list[str]:
    """The path whose claim edges carry the strongest evidence: each edge costs
    ``6 - evidence rank`` (rank 5 = meta-analysis costs 1), edges without evidence cost 3."""
    weighted: nx.Graph[str] = nx.Graph()
    for u, v, d in projection.graph.edges(data=True):
        cost = 6 - d["rank"] if "rank" in d else 3
        if not weighted.has_edge(u, v) or weighted[u][v]["cost"] > cost:
            weighted.add_edge(u, v, cost=cost)
    try:
        return nx.shortest_path(weighted, source, target, weight="cost")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return []
