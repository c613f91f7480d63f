"""Export the built graph for other tools: RDF (provenance in named graphs) and property graphs.

RDF formats: ``turtle``, ``ntriples``, ``rdfxml`` (OWL, for Protégé) and ``jsonld`` write the full
graph exactly as ``ketamine-kg build`` does; ``trig`` and ``nquads`` split it into three named
graphs, computed without Java from files the build already made:

* ``https://w3id.org/ketamine-kg/graph/ontology``: the TBox, ``ontology/ketamine.ttl``;
* ``https://w3id.org/ketamine-kg/graph/asserted``: the curated facts, ``graph/curated/*.yaml``
  compiled again here;
* ``https://w3id.org/ketamine-kg/graph/inferred``: the rest of ``graph/ketamine-kg.nt``, which is
  what HermiT and the SPARQL rules added.

Their union must be the full graph; if it is not, the graph files are stale and export stops.

The property-graph model (``graphml``, ``gexf``, ``neo4j``, ``kgx``), one for all four formats:

* **Nodes**: every named individual with an ``rdfs:label`` (drugs, conditions, claims and the
  other statements, sources, agencies, and the vocabulary values such as evidence levels and
  statuses). Classes and properties of the ontology are not nodes. The node id is its CURIE
  (``kkr:ketamine``); ``iri`` holds the full IRI.
* **Attributes**: every triple about a node becomes an attribute named after the predicate's local
  name (``label``, ``pmid``, ``evidenceLevel``, ``source``...): a literal gives its value (integer,
  decimal, boolean or text), an IRI gives its CURIE. ``rdf:type`` gives ``types``; ``category`` is
  the Biolink category. A property with several values is one text joined with ``|``, sorted.
  Statements (claims, adverse-effect associations...) also get ``publications``: the PMIDs and DOIs
  of their sources (``PMID:…``, ``doi:…``).
* **Edges from triples**: every triple between two nodes (except ``rdf:type``) is an edge whose
  ``relation`` is the predicate's CURIE (``kk:drug``, ``kk:evidenceLevel``, ``kk:treats``,
  ``rdfs:subClassOf``...), with ``graph`` saying where it came from (``ontology``, ``asserted``
  or ``inferred``).
* **Edges per statement**: each ``kk:TherapeuticUseClaim`` also gives a direct drug -> condition
  edge, each ``kk:AdverseEffectAssociation`` a drug -> adverse-effect edge and each
  ``kk:Contraindication`` a drug -> condition edge (to the contraindication node itself when it
  names no condition entity, only a label). Their ``relation`` is the
  statement's class, ``statement`` its CURIE, and they carry all the statement's attributes
  (evidence level, regulatory status, direction, sources, publications, frequencies...).
* Every edge has ``id`` (``subject--relation->object``, or the statement's CURIE in the middle),
  a Biolink ``predicate`` (claims: ``biolink:treats`` when the claim is an established use,
  otherwise ``biolink:studied_to_treat``; ``biolink:has_adverse_event``,
  ``biolink:contraindicated_in``, ``biolink:subclass_of``, ``biolink:has_active_ingredient``;
  ``biolink:related_to`` for the rest), ``knowledge_level`` and ``agent_type`` (curated:
  knowledge_assertion by a manual_agent; inferred: logical_entailment by an automated_agent) and
  ``primary_knowledge_source`` (``infores:ketamine-kg``).

Every export is byte-identical on every run, and written beside its target and renamed into place.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic, to_canonical_graph
from rdflib.namespace import OWL, RDF, XSD

from . import RELEASE_DATE, __version__
from .errors import UsageError, ValidationFailed
from .layout import GRAPH_FILES, Layout
from .vocabulary import BASE, KK, PREFIXES

__all__ = [
    "FORMATS",
    "GRAPH_IRIS",
    "INFORES",
    "MULTI_FILE_FORMATS",
    "ExportResult",
    "ProvenanceSplit",
    "export",
    "export_bytes",
    "export_files",
    "property_graph",
    "split_provenance",
]

#: Format name -> what it is, for ``--help`` and the error on an unknown name.
FORMATS: dict[str, str] = {
    "turtle": "RDF Turtle, the full graph",
    "ntriples": "RDF N-Triples, the full graph",
    "rdfxml": "RDF/XML (OWL), the full graph; opens in Protégé",
    "jsonld": "JSON-LD with the project's prefixes as @context",
    "trig": "TriG: ontology, curated and inferred triples in three named graphs",
    "nquads": "N-Quads: the same three named graphs",
    "graphml": "GraphML property graph (Gephi, Cytoscape, igraph, networkx)",
    "gexf": "GEXF 1.2 property graph (Gephi)",
    "neo4j": "folder: nodes.csv + relationships.csv (neo4j-admin import) and load.cypher (LOAD CSV)",
    "kgx": "folder: KGX TSV nodes.tsv + edges.tsv with Biolink categories and predicates",
}
#: Formats that write a folder of files, so they need ``--output DIR``.
MULTI_FILE_FORMATS: dict[str, tuple[str, ...]] = {
    "neo4j": ("nodes.csv", "relationships.csv", "load.cypher"),
    "kgx": ("nodes.tsv", "edges.tsv"),
}
_RDFLIB_FORMAT = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld"}

#: The named graphs of the TriG and N-Quads exports.
GRAPH_IRIS: dict[str, URIRef] = {
    "ontology": URIRef(BASE + "graph/ontology"),
    "asserted": URIRef(BASE + "graph/asserted"),
    "inferred": URIRef(BASE + "graph/inferred"),
}
#: The Biolink information-resource id this graph names itself by (not yet registered).
INFORES = "infores:ketamine-kg"
#: Joins the values of a property with several values (the KGX convention).
MULTI_VALUE_SEPARATOR = "|"


# --- RDF, with provenance --------------------------------------------------------------------


@dataclass
class ProvenanceSplit:
    """The full graph and the three parts it is the union of (triples share its blank nodes)."""

    full: Graph
    parts: dict[str, Graph]

    def graph_of(self) -> dict[tuple, str]:
        """Which part each triple of the full graph went to."""
        return {triple: name for name, part in self.parts.items() for triple in part}


def _has_bnode(triple: tuple) -> bool:
    return any(isinstance(term, BNode) for term in triple)


def split_provenance(layout: Layout) -> ProvenanceSplit:
    """Split ``graph/ketamine-kg.nt`` into ontology, asserted and inferred triples, without Java.

    :raises ValidationFailed: if the ontology or the curated facts are not inside the built graph
        (the graph files are older than the YAML or the ontology: run ``ketamine-kg build``).
    """
    from . import curation
    from .compile import compile_curation

    full_path, tbox_path = layout.graph_file("nt"), layout.ontology_dir / "ketamine.ttl"
    for path in (full_path, tbox_path):
        if not path.is_file():
            raise UsageError(f"{path} is missing; run 'ketamine-kg build' first")
    # Canonical blank-node labels, so the N-Quads and TriG files are the same bytes on every run.
    full = to_canonical_graph(Graph().parse(full_path, format="nt"))
    tbox = Graph().parse(tbox_path, format="turtle")
    asserted = compile_curation(curation.load(layout.curated))

    stale = "the graph files are out of date with {}; run 'ketamine-kg build'"
    if any(_has_bnode(t) for t in asserted):
        raise ValidationFailed("the curated graph holds blank nodes; export cannot place them in a named graph")
    if any(t not in full for t in asserted):
        raise ValidationFailed(stale.format("graph/curated"))
    # Blank nodes (OWL restrictions, lists) come only from the ontology; the parsed copies have
    # other labels than the built graph, so match that part by isomorphism, the rest by equality.
    full_bnodes = Graph()
    for t in full:
        if _has_bnode(t):
            full_bnodes.add(t)
    tbox_bnodes = Graph()
    for t in tbox:
        if _has_bnode(t):
            tbox_bnodes.add(t)
    if not isomorphic(full_bnodes, tbox_bnodes) or any(t not in full for t in tbox if not _has_bnode(t)):
        raise ValidationFailed(stale.format("ontology/ketamine.ttl"))

    parts = {name: Graph() for name in GRAPH_IRIS}
    for t in full:
        if _has_bnode(t) or t in tbox:
            parts["ontology"].add(t)
        elif t in asserted:
            parts["asserted"].add(t)
        else:
            parts["inferred"].add(t)
    union = parts["ontology"] + parts["asserted"] + parts["inferred"]
    if len(union) != len(full):  # every triple went to exactly one part
        raise ValidationFailed("the named graphs do not add up to the full graph")
    return ProvenanceSplit(full=full, parts=parts)


def _nquads(split: ProvenanceSplit) -> bytes:
    lines: list[str] = []
    for name, part in split.parts.items():
        graph_term = f"<{GRAPH_IRIS[name]}>"
        # The part keeps the full graph's canonical blank-node labels: write it as N-Triples
        # without relabelling (canonical_bytes would relabel per part).
        for line in part.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines():
            if line.strip():
                lines.append(f"{line.rstrip().removesuffix('.').rstrip()} {graph_term} .")
    return ("\n".join(sorted(lines)) + "\n").encode("utf-8")


def _trig(split: ProvenanceSplit) -> bytes:
    from .build import canonical_bytes

    head = [f"@prefix {prefix}: <{ns}> ." for prefix, ns in sorted(PREFIXES.items())]
    blocks = []
    for name, part in split.parts.items():
        # Only the ontology part holds blank nodes (split_provenance makes sure), so writing each
        # part with its own canonical labels cannot merge two different blank nodes.
        turtle = canonical_bytes(part, "turtle").decode("utf-8")
        body = "\n".join(
            line for line in turtle.splitlines() if not line.startswith(("@prefix", "PREFIX", "@base"))
        ).strip("\n")
        indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
        blocks.append(f"# {name}: {len(part):,} triples\n<{GRAPH_IRIS[name]}> {{\n{indented}\n}}\n")
    return ("\n".join(head) + "\n\n" + "\n".join(blocks)).encode("utf-8")


# --- the property graph ----------------------------------------------------------------------

# Most specific first: the first kk: class a node has decides its Biolink category.
_BIOLINK_CATEGORY: tuple[tuple[URIRef, str], ...] = (
    (KK.DrugProduct, "biolink:Drug"),
    (KK.Drug, "biolink:Drug"),
    (KK.Pharmacotherapy, "biolink:Drug"),
    (KK.MedicalCondition, "biolink:Disease"),
    (KK.AdverseEffect, "biolink:PhenotypicFeature"),
    (KK.Psychotherapy, "biolink:Procedure"),
    (KK.Neuromodulation, "biolink:Procedure"),
    (KK.MolecularTarget, "biolink:MacromolecularComplex"),
    (KK.Mechanism, "biolink:BiologicalProcessOrActivity"),
    (KK.RegulatoryAgency, "biolink:Agent"),
    (KK.DrugLabel, "biolink:DrugLabel"),
    (KK.WebPage, "biolink:WebPage"),
    (KK.Publication, "biolink:Article"),
    (KK.Source, "biolink:Publication"),
    (KK.Statement, "biolink:InformationContentEntity"),
    (KK.CrossReference, "biolink:InformationContentEntity"),
)
_DEFAULT_CATEGORY = "biolink:NamedThing"
_BIOLINK_PREDICATE: dict[str, str] = {
    "kk:treats": "biolink:treats",
    "kk:studiedToTreat": "biolink:studied_to_treat",
    "kk:treatsOrStudiedToTreat": "biolink:treats_or_applied_or_studied_to_treat",
    "kk:hasRisk": "biolink:has_adverse_event",
    "kk:activeIngredient": "biolink:has_active_ingredient",
    "rdfs:subClassOf": "biolink:subclass_of",
}
_DEFAULT_PREDICATE = "biolink:related_to"
_PROVENANCE = {
    "asserted": ("knowledge_assertion", "manual_agent"),
    "ontology": ("knowledge_assertion", "manual_agent"),
    "inferred": ("logical_entailment", "automated_agent"),
}
# Statements that also become one direct edge: class -> (from property, to property).
_STATEMENT_EDGES: dict[str, tuple[str, str]] = {
    "kk:TherapeuticUseClaim": ("drug", "condition"),
    "kk:AdverseEffectAssociation": ("drug", "adverseEffect"),
    "kk:Contraindication": ("drug", "condition"),
}
_STATEMENT_PREDICATE = {
    "kk:AdverseEffectAssociation": "biolink:has_adverse_event",
    "kk:Contraindication": "biolink:contraindicated_in",
}
# Node attributes that describe the node, not the statement, so a statement's edge leaves them out.
_NODE_ONLY = {"id", "iri", "types", "category"}


def _curie(term: URIRef) -> str:
    text = str(term)
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if text.startswith(ns) and len(text) > len(ns):
            return f"{prefix}:{text[len(ns):]}"
    return text


def _local_name(term: URIRef) -> str:
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


def _attribute_names(graph: Graph, nodes: set[URIRef]) -> dict[URIRef, str]:
    """Predicate -> attribute name: its local name, or ``prefix_local`` where two would clash."""
    predicates = sorted({p for s, p, _ in graph if s in nodes and p != RDF.type})
    by_local: dict[str, list[URIRef]] = defaultdict(list)
    for p in predicates:
        by_local[_local_name(p)].append(p)
    reserved = {"id", "iri", "types", "category", "publications", "relation", "statement", "predicate", "graph"}
    names = {}
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
    where = split.graph_of()
    nodes = {s for s in full.subjects(RDF.type, OWL.NamedIndividual) if isinstance(s, URIRef)
             and (s, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), None) in full}
    names = _attribute_names(full, nodes)

    attrs: dict[URIRef, dict] = {}
    for node in sorted(nodes, key=str):
        types = set(full.objects(node, RDF.type))
        values: dict[str, list] = defaultdict(list)
        for p, o in full.predicate_objects(node):
            if p != RDF.type:
                values[names[p]].append(_value(o))
        data = {"id": _curie(node), "iri": str(node)}
        data["category"] = next((cat for cls, cat in _BIOLINK_CATEGORY if cls in types), _DEFAULT_CATEGORY)
        data["types"] = _join(sorted(_curie(t) for t in types))
        data.update({name: _join(vals) for name, vals in sorted(values.items())})
        attrs[node] = data

    # Publications of every statement: the PMIDs and DOIs of its sources.
    for node, data in attrs.items():
        pubs = []
        for src in full.objects(node, KK.source):
            pubs += [f"PMID:{pmid}" for pmid in full.objects(src, KK.pmid)]
            pubs += [f"doi:{doi}" for doi in full.objects(src, KK.doi)]
        if pubs:
            data["publications"] = _join(sorted(set(pubs)))

    edges: list[tuple[str, str, dict]] = []
    for s, p, o in full:
        if s in nodes and o in nodes and p != RDF.type:
            relation = _curie(p)
            level, agent = _PROVENANCE[where[(s, p, o)]]
            edges.append((_curie(s), _curie(o), {
                "id": f"{_curie(s)}--{relation}->{_curie(o)}",
                "relation": relation,
                "predicate": _BIOLINK_PREDICATE.get(relation, _DEFAULT_PREDICATE),
                "graph": where[(s, p, o)],
                "knowledge_level": level,
                "agent_type": agent,
                "primary_knowledge_source": INFORES,
            }))

    established = set(full.subjects(RDF.type, KK.EstablishedUseClaim))
    for node, data in attrs.items():
        types = data["types"].split(MULTI_VALUE_SEPARATOR)
        for cls, (from_prop, to_prop) in _STATEMENT_EDGES.items():
            if cls not in types:
                continue
            starts, ends = full.objects(node, KK[from_prop]), list(full.objects(node, KK[to_prop]))
            if not ends and cls == "kk:Contraindication":
                # The label alone names the circumstance (no condition entity): point at the
                # statement itself, so contraindicated_in still reaches it.
                ends = [node]
            for start in starts:
                for end in ends:
                    if start not in nodes or end not in nodes:
                        continue
                    if cls == "kk:TherapeuticUseClaim":
                        predicate = "biolink:treats" if node in established else "biolink:studied_to_treat"
                    else:
                        predicate = _STATEMENT_PREDICATE[cls]
                    edge = {k: v for k, v in data.items() if k not in _NODE_ONLY}
                    edge.update({
                        "id": f"{_curie(start)}--{data['id']}->{_curie(end)}",
                        "relation": cls,
                        "statement": data["id"],
                        "predicate": predicate,
                        "graph": "asserted",
                        "knowledge_level": "knowledge_assertion",
                        "agent_type": "manual_agent",
                        "primary_knowledge_source": INFORES,
                    })
                    edges.append((_curie(start), _curie(end), edge))

    graph = nx.MultiDiGraph(name="ketamine-kg")
    for data in attrs.values():
        graph.add_node(data["id"], **{k: v for k, v in data.items() if k != "id"})
    for u, v, data in sorted(edges, key=lambda e: e[2]["id"]):
        graph.add_edge(u, v, key=data["id"], **data)
    _unify_types(graph)
    return graph


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
                d[k] = _text(d[k])


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _attribute_kinds(dicts: list[dict]) -> dict[str, type]:
    kinds: dict[str, type] = {}
    for d in dicts:
        for k, v in d.items():
            kinds.setdefault(k, type(v))
    return kinds


# --- property-graph writers ------------------------------------------------------------------


def _graphml(graph) -> bytes:
    import networkx as nx

    text = "\n".join(nx.generate_graphml(graph, encoding="utf-8", prettyprint=True, named_key_ids=False))
    # networkx writes Python's True/False; GraphML (and igraph) expect XML Schema's true/false.
    boolean_keys = re.findall(r'<key id="(d\d+)"[^>]*attr.type="boolean"', text)
    for key in boolean_keys:
        text = re.sub(rf'(<data key="{key}">)(True|False)(</data>)',
                      lambda m: m.group(1) + m.group(2).lower() + m.group(3), text)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text + "\n").encode("utf-8")


def _gexf(graph) -> bytes:
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_gexf(graph, buffer, encoding="utf-8", prettyprint=True, version="1.2draft")
    text = buffer.getvalue().decode("utf-8")
    # The writer stamps today's date and its own version; stamp the release instead, so the
    # bytes do not change from one day to the next.
    text = re.sub(r'lastmodifieddate="[^"]*"', f'lastmodifieddate="{RELEASE_DATE}"', text, count=1)
    text = re.sub(r"<creator>[^<]*</creator>", f"<creator>ketamine-kg {__version__}</creator>", text, count=1)
    return text.encode("utf-8")


_NEO4J_TYPE = {int: "long", float: "double", bool: "boolean", str: ""}
_CYPHER_CAST = {int: "toInteger({})", float: "toFloat({})", bool: "toBoolean({})", str: "{}"}


def _neo4j_labels(types: str) -> list[str]:
    return ["Resource"] + sorted(
        t.split(":", 1)[1] for t in types.split(MULTI_VALUE_SEPARATOR) if t.startswith("kk:")
    )


def _neo4j_rel_type(relation: str) -> str:
    return relation.split(":", 1)[1]


def _csv_bytes(rows: list[list[str]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    if delimiter == "\t":
        writer = csv.writer(buffer, delimiter="\t", quoting=csv.QUOTE_NONE, quotechar=None,
                            escapechar=None, lineterminator="\n")
    else:
        writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _neo4j(graph) -> dict[str, bytes]:
    node_dicts = [dict(d, id=n) for n, d in graph.nodes(data=True)]
    edge_dicts = [d for _, _, d in graph.edges(data=True)]
    node_kinds = _attribute_kinds(node_dicts)
    edge_kinds = _attribute_kinds(edge_dicts)
    node_cols = [k for k in sorted(node_kinds) if k != "id"]
    edge_cols = sorted(edge_kinds)

    def header(name: str, kind: type) -> str:
        return f"{name}:{_NEO4J_TYPE[kind]}" if _NEO4J_TYPE[kind] else name

    def cell(value: object) -> str:
        return "" if value is None else _text(value)

    node_header = ["id:ID", ":LABEL"] + [header(c, node_kinds[c]) for c in node_cols]
    node_rows = [node_header] + [
        [d["id"], ";".join(_neo4j_labels(d["types"]))] + [cell(d.get(c)) for c in node_cols] for d in node_dicts
    ]
    edge_header = [":START_ID", ":END_ID", ":TYPE"] + [header(c, edge_kinds[c]) for c in edge_cols]
    edge_rows = [edge_header] + [
        [u, v, _neo4j_rel_type(d["relation"])] + [cell(d.get(c)) for c in edge_cols]
        for u, v, d in graph.edges(data=True)
    ]

    def assignments(var: str, cols: list[str], kinds: dict[str, type], headers: list[str]) -> str:
        parts = [f"{var}.`{c}` = " + _CYPHER_CAST[kinds[c]].format(f"row.`{h}`") for c, h in zip(cols, headers)]
        return ",\n    ".join(parts)

    labels = sorted({label for d in node_dicts for label in _neo4j_labels(d["types"])} - {"Resource"})
    rel_types = sorted({_neo4j_rel_type(d["relation"]) for d in edge_dicts})
    script = [
        "// ketamine-kg property graph for Neo4j 5, made by 'ketamine-kg export --format neo4j'.",
        "// Copy nodes.csv and relationships.csv into Neo4j's import folder, then run:",
        "//   cypher-shell -u neo4j -p <password> -f load.cypher",
        "// Or, into an empty database, without this script:",
        "//   neo4j-admin database import full --nodes=nodes.csv --relationships=relationships.csv neo4j",
        "CREATE CONSTRAINT ketamine_kg_resource_id IF NOT EXISTS FOR (n:Resource) REQUIRE n.id IS UNIQUE;",
        "",
        "LOAD CSV WITH HEADERS FROM 'file:///nodes.csv' AS row",
        "MERGE (n:Resource {id: row.`id:ID`})",
        "SET " + assignments("n", node_cols, node_kinds, node_header[2:]) + ";",
        "",
    ]
    for label in labels:
        script += [
            "LOAD CSV WITH HEADERS FROM 'file:///nodes.csv' AS row",
            f"WITH row WHERE '{label}' IN split(row.`:LABEL`, ';')",
            f"MATCH (n:Resource {{id: row.`id:ID`}}) SET n:`{label}`;",
        ]
    script.append("")
    for rel in rel_types:
        script += [
            "LOAD CSV WITH HEADERS FROM 'file:///relationships.csv' AS row",
            f"WITH row WHERE row.`:TYPE` = '{rel}'",
            "MATCH (a:Resource {id: row.`:START_ID`}), (b:Resource {id: row.`:END_ID`})",
            f"CREATE (a)-[r:`{rel}`]->(b)",
            "SET " + assignments("r", edge_cols, edge_kinds, edge_header[3:]) + ";",
        ]
    return {
        "nodes.csv": _csv_bytes(node_rows),
        "relationships.csv": _csv_bytes(edge_rows),
        "load.cypher": ("\n".join(script) + "\n").encode("utf-8"),
    }


# KGX's own names for the columns it knows; the other attributes keep their names.
_KGX_NODE_COLUMNS = {"label": "name", "definition": "description", "altLabel": "synonym", "hasDbXref": "xref"}


def _tsv_cell(value: object) -> str:
    text = _text(value)
    if "\t" in text or "\n" in text or "\r" in text:
        raise ValidationFailed(f"a value holds a tab or line break, which KGX TSV cannot carry: {text[:60]!r}")
    return text


def _kgx(graph) -> dict[str, bytes]:
    nodes = []
    for n, d in graph.nodes(data=True):
        row = {"id": n, "provided_by": INFORES}
        row.update({_KGX_NODE_COLUMNS.get(k, k): v for k, v in d.items()})
        nodes.append(row)
    edges = []
    for u, v, d in graph.edges(data=True):
        row = {"subject": u, "object": v, "category": "biolink:Association", "original_predicate": d["relation"]}
        row.update({k: val for k, val in d.items() if k != "relation"})
        edges.append(row)
    first_nodes = ["id", "category", "name", "description", "xref", "synonym", "iri", "provided_by"]
    first_edges = ["id", "subject", "predicate", "object", "category", "knowledge_level", "agent_type",
                   "primary_knowledge_source", "publications", "original_predicate"]

    def table(rows: list[dict], first: list[str]) -> bytes:
        keys = {k for r in rows for k in r}
        columns = [c for c in first if c in keys] + sorted(keys - set(first))
        return _csv_bytes([columns] + [[_tsv_cell(r[c]) if c in r else "" for c in columns] for r in rows], "\t")

    return {"nodes.tsv": table(nodes, first_nodes), "edges.tsv": table(edges, first_edges)}


# --- entry points ----------------------------------------------------------------------------


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def export_bytes(layout: Layout, fmt: str, split: ProvenanceSplit | None = None) -> bytes:
    """A single-file format, serialised (the same bytes on every run).

    :param split: the result of :func:`split_provenance`, to export several formats with one split.
    """
    from .build import canonical_bytes

    _check_format(fmt)
    if fmt in MULTI_FILE_FORMATS:
        raise UsageError(f"--format {fmt} writes several files; give --output DIR")
    if fmt in _RDFLIB_FORMAT:
        path = layout.graph_file("nt")
        if not path.is_file():
            raise UsageError(f"{path} is missing; run 'ketamine-kg build' first")
        return canonical_bytes(Graph().parse(path, format="nt"), _RDFLIB_FORMAT[fmt])
    split = split or split_provenance(layout)
    if fmt == "nquads":
        return _nquads(split)
    if fmt == "trig":
        return _trig(split)
    graph = property_graph(split)
    return _graphml(graph) if fmt == "graphml" else _gexf(graph)


def export_files(layout: Layout, fmt: str, split: ProvenanceSplit | None = None) -> dict[str, bytes]:
    """A multi-file format (``neo4j``, ``kgx``): file name -> bytes."""
    _check_format(fmt)
    if fmt not in MULTI_FILE_FORMATS:
        raise UsageError(f"--format {fmt} writes one file, not a folder")
    graph = property_graph(split or split_provenance(layout))
    return _neo4j(graph) if fmt == "neo4j" else _kgx(graph)


@dataclass
class ExportResult:
    """What an export made: the bytes (when no output path was given) or the files written."""

    fmt: str
    data: bytes | None = None
    written: list[Path] = field(default_factory=list)


def _protected(layout: Layout, path: Path) -> bool:
    # The project's own hand-edited and generated files are never an export target.
    root = layout.root.resolve()
    inside = (root / "graph" / "curated", root / "ontology", root / "queries")
    if any(path == d or d in path.parents for d in inside):
        return True
    return path in {(root / "graph" / name) for name in GRAPH_FILES.values()}


def _check_file_target(layout: Layout, path: Path) -> None:
    if path.is_symlink():
        raise UsageError(f"{path} is a symbolic link; give the real path")
    if path.exists() and not path.is_file():
        raise UsageError(f"{path} exists and is not a regular file; choose another --output")
    if _protected(layout, path.resolve()):
        raise UsageError(f"{path} is one of the project's own files; export elsewhere")
    if not path.parent.is_dir():
        raise UsageError(f"folder {path.parent} does not exist")


def _check_dir_target(layout: Layout, path: Path, names: tuple[str, ...]) -> None:
    if path.is_symlink():
        raise UsageError(f"{path} is a symbolic link; give the real path")
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"{path} exists and is not a folder; --format needs a folder for --output")
        others = sorted(p.name for p in path.iterdir() if p.name not in names or not p.is_file())
        if others:
            raise UsageError(f"{path} holds files this export did not make ({', '.join(others[:3])}); "
                             "choose a new or empty folder")
    if _protected(layout, path.resolve()):
        raise UsageError(f"{path} is inside the project's own folders; export elsewhere")
    if not path.parent.is_dir():
        raise UsageError(f"folder {path.parent} does not exist")


def _write_file(path: Path, data: bytes) -> None:
    # Write beside the target, then rename: an interrupted export never leaves half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_dir(path: Path, files: dict[str, bytes]) -> list[Path]:
    # Fill a new folder beside the target, then swap it in: readers see the old set or the new
    # set, never a mixture.
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    old: Path | None = None
    try:
        os.chmod(tmp, 0o755)
        for name, data in files.items():
            (tmp / name).write_bytes(data)
            os.chmod(tmp / name, 0o644)
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
            os.rename(path, old / path.name)
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not path.exists() and (old / path.name).exists():
            os.rename(old / path.name, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return [path / name for name in files]


def export(layout: Layout, fmt: str, output: Path | None = None) -> ExportResult:
    """Export the graph in ``fmt``; to ``output`` if given (a file, or a folder for ``neo4j`` and
    ``kgx``), else return the bytes.

    :raises UsageError: unknown format, no ``output`` for a multi-file format, or an output path
        that exists as something we would not overwrite, or cannot be written.
    :raises ValidationFailed: the graph files are out of date with the curated data.
    """
    _check_format(fmt)
    if output is not None and str(output) == "-":
        output = None  # the usual spelling of standard output
    if fmt in MULTI_FILE_FORMATS:
        if output is None:
            raise UsageError(f"--format {fmt} writes a folder of files; give --output DIR")
        _check_dir_target(layout, output, MULTI_FILE_FORMATS[fmt])
        files = export_files(layout, fmt)
        try:
            return ExportResult(fmt, written=_write_dir(output, files))
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    if output is not None:
        _check_file_target(layout, output)
    data = export_bytes(layout, fmt)
    if output is None:
        return ExportResult(fmt, data=data)
    try:
        _write_file(output, data)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    return ExportResult(fmt, written=[output])
