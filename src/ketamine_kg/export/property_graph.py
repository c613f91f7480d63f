"""The property-graph model shared by the GraphML, GEXF, Neo4j and KGX exports.

* **Nodes**: every named individual with an ``rdfs:label`` (drugs, conditions, claims and the
  other statements, sources, agencies, and the vocabulary values such as evidence levels and
  statuses). Classes and properties of the ontology are not nodes. The node id is its CURIE
  (``kkr:ketamine``); ``iri`` holds the full IRI.
* **Attributes**: every triple about a node becomes an attribute named after the predicate's local
  name (``label``, ``pmid``, ``evidenceLevel``, ``source``...): a literal gives its value (integer,
  decimal, boolean or text), an IRI gives its CURIE. ``rdf:type`` gives ``types``; ``category`` is
  the Biolink category (from the schema's ``biolink_category`` annotations). A property with
  several values is one text joined with ``|``, sorted. Statements also get ``publications``: the
  PMIDs and DOIs of their sources (``PMID:…``, ``doi:…``).
* **Edges from triples**: every triple between two nodes (except ``rdf:type``) is an edge whose
  ``relation`` is the predicate's CURIE, with ``graph`` saying where it came from (``ontology``,
  ``asserted`` or ``inferred``).
* **Edges per statement**: the statement classes the schema marks with ``edge_from``/``edge_to``
  and a ``biolink_predicate`` (therapeutic-use claims, adverse-effect associations,
  contraindications) also give a direct
  edge between those two fields' values (a contraindication with no condition entity points at
  itself). Their ``relation`` is the statement's class, ``statement`` its CURIE, and they carry all
  the statement's attributes.
* Every edge has ``id`` (``subject--relation->object``, or the statement's CURIE in the middle),
  a Biolink ``predicate`` (curated fields: the schema's ``biolink_predicate``; inferred properties:
  their ``skos:exactMatch`` in the ontology; claims: ``biolink:treats`` when the claim is an
  established use, otherwise ``biolink:studied_to_treat``; ``biolink:related_to`` for the rest),
  ``knowledge_level`` and ``agent_type`` (curated: knowledge_assertion by a manual_agent; inferred:
  logical_entailment by an automated_agent) and ``primary_knowledge_source`` (``infores:ketamine-kg``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from typing import Any, cast

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS, XSD
from rdflib.term import Node

from ketamine_kg.build.graphs import ProvenanceSplit
from ketamine_kg.errors import ValidationFailed
from ketamine_kg.rdf.prefixes import compact_iri
from ketamine_kg.rdf.vocabulary import BIOLINK, KK
from ketamine_kg.schema.schema_map import CLASSES, ENUMS

__all__ = ["INFORES", "MULTI_VALUE_SEPARATOR", "as_text", "attribute_kinds", "property_graph"]

#: The Biolink information-resource id this graph names itself by (not yet registered).
INFORES = "infores:ketamine-kg"
#: Joins the values of a property with several values (the KGX convention).
MULTI_VALUE_SEPARATOR = "|"
_DEFAULT_CATEGORY = "biolink:NamedThing"
_DEFAULT_PREDICATE = "biolink:related_to"
#: Biolink categories that are abstract (``abstract: true`` in Biolink 4.4.6), so no tool accepts a
#: node of that category: the concrete class a node gets instead, by its first matching type.
_CONCRETE = {
    "biolink:InformationContentEntity": (
        ("kk:CrossReference", "biolink:RetrievalSource"),  # where an outside identifier was read
        ("kk:Statement", "biolink:Evidence"),  # claims, results and the other evidence records
    ),
    "biolink:NamedThing": (("kk:EvidenceLevel", "biolink:ConfidenceLevel"),),
}
_PROVENANCE = {
    "asserted": ("knowledge_assertion", "manual_agent"),
    "ontology": ("knowledge_assertion", "manual_agent"),
    "inferred": ("logical_entailment", "automated_agent"),
}


def _categories() -> tuple[tuple[URIRef, str], ...]:
    """(class, Biolink category) from the schema, most specific class first: the first class a
    node has decides its category."""
    found: list[tuple[int, URIRef, str]] = []
    for c in CLASSES.values():
        category = c["annotations"].get("biolink_category")
        if category and c["uri"]:
            found.append((len(c["ancestors"]), URIRef(c["uri"]), category))
        for slot in c["slots"].values():
            # A source's kind is its class: each kind's category is one level below the source's.
            if slot["uri"] == str(RDF.type) and slot["kind"] == "enum":
                for pv in ENUMS[slot["range"]].values():
                    if pv["annotations"].get("biolink_category"):
                        found.append(
                            (len(c["ancestors"]) + 1, URIRef(pv["meaning"]), pv["annotations"]["biolink_category"])
                        )
    unique = {uri: (depth, category) for depth, uri, category in found}
    return tuple((uri, category) for uri, (depth, category) in sorted(unique.items(), key=lambda kv: -kv[1][0]))


def _predicates(full: Graph) -> dict[str, str]:
    """Relation CURIE -> Biolink predicate: curated fields from the schema, inferred properties
    from the ontology's skos:exactMatch to Biolink."""
    found = {}
    for c in CLASSES.values():
        for slot in c["slots"].values():
            if slot["uri"] and slot["annotations"].get("biolink_predicate"):
                found[_curie(URIRef(slot["uri"]))] = slot["annotations"]["biolink_predicate"]
    for prop, match in full.subject_objects(SKOS.exactMatch):
        if isinstance(prop, URIRef) and str(prop).startswith(str(KK)) and str(match).startswith(str(BIOLINK)):
            found[_curie(prop)] = _curie(match)
    return found


def _statement_edges() -> dict[str, tuple[URIRef, URIRef, str]]:
    """Statement classes that also become one direct edge: class CURIE -> (from predicate, to
    predicate, Biolink predicate), from the schema's edge_from / edge_to annotations on the classes
    that name a biolink_predicate (the others' direct edges are the explorer's alone)."""
    edges = {}
    for c in CLASSES.values():
        a = c["annotations"]
        if a.get("edge_from") and a.get("edge_to") and a.get("biolink_predicate"):
            edges[_curie(URIRef(c["uri"]))] = (
                URIRef(c["slots"][a["edge_from"]]["uri"]),
                URIRef(c["slots"][a["edge_to"]]["uri"]),
                a["biolink_predicate"],
            )
    return edges


# Node attributes that describe the node, not the statement, so a statement's edge leaves them out.
_NODE_ONLY = {"id", "iri", "types", "category"}


def _curie(term: Node) -> str:
    return compact_iri(str(term))


def _local_name(term: Node) -> str:
    return re.split(r"[#/]", str(term))[-1]


def _value(term: object) -> str | int | float | bool:
    if isinstance(term, Literal):
        if term.datatype == XSD.integer:
            return int(term)
        if term.datatype == XSD.decimal:
            return float(Decimal(str(term)))
        if term.datatype == XSD.boolean:
            return bool(term.toPython())
        return str(term)
    return _curie(term)  # type: ignore[arg-type]


def _attribute_names(graph: Graph, nodes: set[URIRef]) -> dict[Node, str]:
    """Predicate -> attribute name: its local name, or ``prefix_local`` where two would clash."""
    # A predicate is always a URIRef; URIRefs sort as their strings.
    predicates = sorted({cast(URIRef, p) for s, p, _ in graph if s in nodes and p != RDF.type})
    by_local: dict[str, list[URIRef]] = defaultdict(list)
    for p in predicates:
        by_local[_local_name(p)].append(p)
    reserved = {"id", "iri", "types", "category", "publications", "relation", "statement", "predicate", "graph"}
    names: dict[Node, str] = {}
    for local, preds in by_local.items():
        for p in preds:
            names[p] = local if len(preds) == 1 and local not in reserved else _curie(p).replace(":", "_")
    return names


def _join(values: list) -> str | int | float | bool:
    if len(values) == 1:
        return values[0]
    texts = sorted(str(v) for v in values)
    if any(MULTI_VALUE_SEPARATOR in t for t in texts):
        # Joining would make the value ambiguous; stop rather than export something wrong.
        raise ValidationFailed(f"a value with several parts contains {MULTI_VALUE_SEPARATOR!r}: {texts}")
    return MULTI_VALUE_SEPARATOR.join(texts)


def property_graph(split: ProvenanceSplit):
    """The graph as a ``networkx.MultiDiGraph`` following the model in this module's docstring."""
    import networkx as nx

    full = split.full
    nodes = {
        s
        for s in full.subjects(RDF.type, OWL.NamedIndividual)
        if isinstance(s, URIRef) and (s, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), None) in full
    }
    attrs, joined = _node_attributes(full, nodes)
    _add_publications(full, attrs, joined)
    edges = _triple_edges(full, nodes, split.graph_of()) + _statement_edges_of(full, nodes, attrs)

    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph(name="ketamine-kg")
    # A Python attribute, not graph data: no writer serialises it (the stubs know no such attribute).
    graph.joined = joined  # type: ignore[attr-defined]
    for data in attrs.values():
        graph.add_node(data["id"], **{k: v for k, v in data.items() if k != "id"})
    for u, v, data in sorted(edges, key=lambda e: e[2]["id"]):
        graph.add_edge(u, v, key=data["id"], **data)
    _unify_types(graph)
    return graph


def _node_attributes(full: Graph, nodes: set[URIRef]) -> tuple[dict[URIRef, dict], dict[str, set[str]]]:
    """Each node's attributes (id, iri, category, types and one attribute per property), and per node
    CURIE the attributes that hold several values joined with "|" (a writer whose format splits on
    "|" escapes the "|" inside the others)."""
    names = _attribute_names(full, nodes)
    categories = _categories()
    attrs: dict[URIRef, dict] = {}
    joined: dict[str, set[str]] = {}
    for node in sorted(nodes, key=str):
        types = set(full.objects(node, RDF.type))
        values: dict[str, list] = defaultdict(list)
        for p, o in full.predicate_objects(node):
            if p != RDF.type:
                values[names[p]].append(_value(o))
        data: dict[str, Any] = {"id": _curie(node), "iri": str(node)}
        category = next((cat for cls, cat in categories if cls in types), _DEFAULT_CATEGORY)
        curies_ = {_curie(t) for t in types}
        data["category"] = next((c for kind, c in _CONCRETE.get(category, ()) if kind in curies_), category)
        data["types"] = _join(sorted(_curie(t) for t in types))
        data.update({name: _join(vals) for name, vals in sorted(values.items())})
        joined[data["id"]] = {name for name, vals in values.items() if len(vals) > 1} | (
            {"types"} if len(types) > 1 else set()
        )
        attrs[node] = data
    return attrs, joined


def _add_publications(full: Graph, attrs: dict[URIRef, dict], joined: dict[str, set[str]]) -> None:
    """Publications of every statement: the PMIDs and DOIs of its sources."""
    for node, data in attrs.items():
        pubs = []
        for src in full.objects(node, KK.source):
            pubs += [f"PMID:{pmid}" for pmid in full.objects(src, KK.pmid)]
            pubs += [f"doi:{doi}" for doi in full.objects(src, KK.doi)]
        if pubs:
            data["publications"] = _join(sorted(set(pubs)))
            if len(set(pubs)) > 1:
                joined[data["id"]].add("publications")


def _triple_edges(full: Graph, nodes: set[URIRef], where: dict) -> list[tuple[str, str, dict]]:
    """One edge per triple between two nodes, typed by its predicate and marked with its named graph."""
    predicates = _predicates(full)
    edges: list[tuple[str, str, dict]] = []
    for s, p, o in full:
        if s in nodes and o in nodes and p != RDF.type:
            relation = _curie(p)
            level, agent = _PROVENANCE[where[(s, p, o)]]
            edges.append(
                (
                    _curie(s),
                    _curie(o),
                    {
                        "id": f"{_curie(s)}--{relation}->{_curie(o)}",
                        "relation": relation,
                        "predicate": predicates.get(relation, _DEFAULT_PREDICATE),
                        "graph": where[(s, p, o)],
                        "knowledge_level": level,
                        "agent_type": agent,
                        "primary_knowledge_source": INFORES,
                    },
                )
            )
    return edges


def _statement_edges_of(full: Graph, nodes: set[URIRef], attrs: dict[URIRef, dict]) -> list[tuple[str, str, dict]]:
    """The direct edges a statement gives (drug -> condition for a claim, ...), each carrying the
    statement's attributes, as the schema's annotations say (:func:`_statement_edges`)."""
    established = set(full.subjects(RDF.type, KK.EstablishedUseClaim))
    edges: list[tuple[str, str, dict]] = []
    for node, data in attrs.items():
        type_curies = data["types"].split(MULTI_VALUE_SEPARATOR)
        for cls, (from_prop, to_prop, predicate) in _statement_edges().items():
            if cls not in type_curies:
                continue
            ends = list(full.objects(node, to_prop))
            if not ends and cls == "kk:Contraindication":
                # The label alone names the circumstance (no condition entity): point at the
                # statement itself, so contraindicated_in still reaches it.
                ends = [node]
            if cls == "kk:TherapeuticUseClaim" and node in established:
                predicate = "biolink:treats"  # the Biolink rule: only approved or established uses
            pairs = [(a, b) for a in full.objects(node, from_prop) for b in ends if a in nodes and b in nodes]
            for start, end in pairs:
                edge = {k: v for k, v in data.items() if k not in _NODE_ONLY}
                edge.update(
                    {
                        "id": f"{_curie(start)}--{data['id']}->{_curie(end)}",
                        "relation": cls,
                        "statement": data["id"],
                        "predicate": predicate,
                        "graph": "asserted",
                        "knowledge_level": "knowledge_assertion",
                        "agent_type": "manual_agent",
                        "primary_knowledge_source": INFORES,
                    }
                )
                edges.append((_curie(start), _curie(end), edge))
    return edges


def _unify_types(graph) -> None:
    # GraphML and GEXF declare one type per attribute: where an attribute holds values of several
    # types (a number here, a joined text there), make all of them text.
    for items in (graph.nodes(data=True), ((u, v, d) for u, v, d in graph.edges(data=True))):
        dicts = [entry[-1] for entry in items]
        kinds: dict[str, set[type]] = defaultdict(set)
        for d in dicts:
            for k, v in d.items():
                kinds[k].add(type(v))
        mixed = {k for k, ts in kinds.items() if len(ts) > 1}
        for d in dicts:
            for k in mixed & d.keys():
                d[k] = as_text(d[k])


def as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def attribute_kinds(dicts: list[dict]) -> dict[str, type]:
    kinds: dict[str, type] = {}
    for d in dicts:
        for k, v in d.items():
            kinds.setdefault(k, type(v))
    return kinds
