"""Writers for the property-graph formats: GraphML, GEXF, Neo4j import files and KGX TSV.

Each takes the networkx graph of :func:`export_property_graph.property_graph` and returns the
same bytes on every run.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

from ketamine_kg import RELEASE_DATE, __version__
from ketamine_kg.errors import ValidationFailed
from ketamine_kg.export.property_graph import INFORES, MULTI_VALUE_SEPARATOR, as_text, attribute_kinds
from ketamine_kg.rdf.iris import KKR_NAMESPACE

__all__ = ["WRITERS"]


#: GraphML's edge element carries the edge id as its XML ``id``; a data key named ``id`` beside it
#: clashes (igraph warns and keeps one), so the edge attribute is written under this name.
GRAPHML_EDGE_ID_KEY = "edge_id"


def _graphml(graph) -> bytes:
    import networkx as nx

    out = graph.copy()
    for _, _, d in out.edges(data=True):
        d[GRAPHML_EDGE_ID_KEY] = d.pop("id")
    text = "\n".join(nx.generate_graphml(out, encoding="utf-8", prettyprint=True, named_key_ids=False))
    # networkx writes Python's True/False; GraphML (and igraph) expect XML Schema's true/false.
    boolean_keys = re.findall(r'<key id="(d\d+)"[^>]*attr.type="boolean"', text)
    for key in boolean_keys:
        text = re.sub(
            rf'(<data key="{key}">)(True|False)(</data>)', lambda m: m.group(1) + m.group(2).lower() + m.group(3), text
        )
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


#: Separates the values of an array cell (and the labels) in the Neo4j CSV files; neo4j-admin is
#: told so with --array-delimiter, and load.cypher splits on it.
NEO4J_ARRAY_DELIMITER = MULTI_VALUE_SEPARATOR


def _neo4j_labels(types: str) -> list[str]:
    return ["Resource"] + sorted(t.split(":", 1)[1] for t in types.split(MULTI_VALUE_SEPARATOR) if t.startswith("kk:"))


def _neo4j_rel_type(relation: str) -> str:
    return relation.split(":", 1)[1]


def _csv_bytes(rows: list[list[str]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    if delimiter == "\t":
        writer = csv.writer(
            buffer, delimiter="\t", quoting=csv.QUOTE_NONE, quotechar=None, escapechar=None, lineterminator="\n"
        )
    else:
        writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _header(name: str, kind: type, is_list: bool) -> str:
    """A Neo4j CSV column header typed for its values (``name:string[]`` for an array column)."""
    if is_list:
        return f"{name}:string[]"
    return f"{name}:{_NEO4J_TYPE[kind]}" if _NEO4J_TYPE[kind] else name


def _cell(value: object) -> str:
    # An array cell is the values joined with the array delimiter, as the model holds them.
    return "" if value is None else as_text(value)


def _check_delimiter(rows: list[dict], lists: set[str], joined: dict, owner: Callable[[dict], str]) -> None:
    """Refuse a single value that holds the array delimiter in an array column (Neo4j would split it)."""
    for d in rows:
        for k in lists & d.keys():
            if k not in joined.get(owner(d), ()) and NEO4J_ARRAY_DELIMITER in as_text(d[k]):
                raise ValidationFailed(
                    f"{k} of {owner(d)} holds {NEO4J_ARRAY_DELIMITER!r} in one value, "
                    "which the Neo4j array column would split"
                )


def _assignments(var: str, cols: list[str], kinds: dict[str, type], headers: list[str], lists: set[str]) -> str:
    """The Cypher ``SET`` list that casts each CSV column back to its type (arrays split)."""
    parts = []
    for c, h in zip(cols, headers, strict=True):
        if c in lists:
            # An array: null stays null (no property), not [""].
            value = f"CASE WHEN row.`{h}` IS NULL THEN null ELSE split(row.`{h}`, '{NEO4J_ARRAY_DELIMITER}') END"
        else:
            value = _CYPHER_CAST[kinds[c]].format(f"row.`{h}`")
        parts.append(f"{var}.`{c}` = {value}")
    return ",\n    ".join(parts)


def _neo4j_script(
    node_dicts: list[dict], edge_dicts: list[dict], node_set: str, edge_set: str, id_header: str
) -> list[str]:
    """load.cypher's lines: MERGE every node and relationship on its id, with ``node_set`` and
    ``edge_set`` (:func:`_assignments`) casting their properties, then each node's labels."""
    labels = sorted({label for d in node_dicts for label in _neo4j_labels(d["types"])} - {"Resource"})
    rel_types = sorted({_neo4j_rel_type(d["relation"]) for d in edge_dicts})
    script = [
        "// ketamine-kg property graph for Neo4j 5, made by 'ketamine-kg export --format neo4j'.",
        "// Copy nodes.csv and relationships.csv into Neo4j's import folder, then run:",
        "//   cypher-shell -u neo4j -p <password> -f load.cypher",
        "// Every node and relationship is MERGEd on its id, so running it again changes nothing.",
        "// Or, into an empty database, without this script:",
        f"//   neo4j-admin database import full --array-delimiter='{NEO4J_ARRAY_DELIMITER}' \\",
        "//     --nodes=nodes.csv --relationships=relationships.csv neo4j",
        "CREATE CONSTRAINT ketamine_kg_resource_id IF NOT EXISTS FOR (n:Resource) REQUIRE n.id IS UNIQUE;",
        "",
        "LOAD CSV WITH HEADERS FROM 'file:///nodes.csv' AS row",
        "MERGE (n:Resource {id: row.`id:ID`})",
        "SET " + node_set + ";",
        "",
    ]
    for label in labels:
        script += [
            "LOAD CSV WITH HEADERS FROM 'file:///nodes.csv' AS row",
            f"WITH row WHERE '{label}' IN split(row.`:LABEL`, '{NEO4J_ARRAY_DELIMITER}')",
            f"MATCH (n:Resource {{id: row.`id:ID`}}) SET n:`{label}`;",
        ]
    script.append("")
    for rel in rel_types:
        script += [
            "LOAD CSV WITH HEADERS FROM 'file:///relationships.csv' AS row",
            f"WITH row WHERE row.`:TYPE` = '{rel}'",
            "MATCH (a:Resource {id: row.`:START_ID`}), (b:Resource {id: row.`:END_ID`})",
            f"MERGE (a)-[r:`{rel}` {{id: row.`{id_header}`}}]->(b)",
            "SET " + edge_set + ";",
        ]
    return script


def _neo4j(graph) -> dict[str, bytes]:
    """The Neo4j files: nodes.csv, relationships.csv and load.cypher."""
    joined = getattr(graph, "joined", {})
    node_dicts = [dict(d, id=n) for n, d in graph.nodes(data=True)]
    edge_dicts = [d for _, _, d in graph.edges(data=True)]
    node_kinds = attribute_kinds(node_dicts)
    edge_kinds = attribute_kinds(edge_dicts)
    node_cols = [k for k in sorted(node_kinds) if k != "id"]
    edge_cols = sorted(edge_kinds)
    # A column is an array (string[]) when any row holds several values in it.
    node_lists = {k for n in graph.nodes for k in joined.get(n, ())} & set(node_cols)
    edge_lists = {k for d in edge_dicts for k in joined.get(d.get("statement", ""), ())} & set(edge_cols)

    _check_delimiter(node_dicts, node_lists, joined, lambda d: d["id"])
    _check_delimiter(edge_dicts, edge_lists, joined, lambda d: d.get("statement", ""))
    node_header = ["id:ID", ":LABEL"] + [_header(c, node_kinds[c], c in node_lists) for c in node_cols]
    node_rows = [node_header] + [
        [d["id"], NEO4J_ARRAY_DELIMITER.join(_neo4j_labels(d["types"]))] + [_cell(d.get(c)) for c in node_cols]
        for d in node_dicts
    ]
    edge_header = [":START_ID", ":END_ID", ":TYPE"] + [_header(c, edge_kinds[c], c in edge_lists) for c in edge_cols]
    edge_rows = [edge_header] + [
        [u, v, _neo4j_rel_type(d["relation"])] + [_cell(d.get(c)) for c in edge_cols]
        for u, v, d in graph.edges(data=True)
    ]

    node_set = _assignments("n", node_cols, node_kinds, node_header[2:], node_lists)
    edge_set = _assignments("r", edge_cols, edge_kinds, edge_header[3:], edge_lists)
    script = _neo4j_script(node_dicts, edge_dicts, node_set, edge_set, edge_header[3:][edge_cols.index("id")])
    return {
        "nodes.csv": _csv_bytes(node_rows),
        "relationships.csv": _csv_bytes(edge_rows),
        "load.cypher": ("\n".join(script) + "\n").encode("utf-8"),
    }


# KGX's own names for the columns it knows; the other attributes keep their names.
_KGX_NODE_COLUMNS = {"label": "name", "definition": "description", "altLabel": "synonym", "hasDbXref": "xref"}
# Attributes whose names kgx reads as Biolink slots of another multiplicity (``kgx validate``:
# INVALID_NODE_PROPERTY_VALUE_TYPE): written with a ``kk_`` prefix.
_KGX_CLASHING = (
    "exactMatch",
    "closeMatch",
    "broadMatch",
    "narrowMatch",
    "relatedMatch",
    "subClassOf",
    "treats",
    "studiedToTreat",
    # Biolink's name for a type, not a slot: kgx found no range for it and printed "Skipping
    # validation for Node property 'curie'" once per cross-reference (528 identical warnings).
    "curie",
)
_KGX_NODE_COLUMNS |= {name: f"kk_{name}" for name in _KGX_CLASHING}
#: Biolink's preferred identifier prefixes for the categories where the graph has exact mappings
#: (biolink-model's prefixmaps/preferred_prefixes_per_class.json, in Biolink's spelling), best first.
KGX_PREFERRED_PREFIXES: dict[str, tuple[str, ...]] = {
    "biolink:Disease": ("MONDO",),
    "biolink:Drug": ("CHEBI", "DRUGBANK"),
    "biolink:SmallMolecule": ("CHEBI", "DRUGBANK"),
    "biolink:ChemicalEntity": ("CHEBI", "DRUGBANK"),
    "biolink:MolecularMixture": ("CHEBI", "DRUGBANK"),
    "biolink:PhenotypicFeature": ("HP",),
    "biolink:Gene": ("HGNC", "NCBIGene"),
    "biolink:Article": ("PMID",),
    "biolink:JournalArticle": ("PMID",),
    "biolink:Publication": ("PMID",),
}
#: Edge ids are IRIs under the graph's resource namespace.
KGX_EDGE_BASE = KKR_NAMESPACE + "edge/"
#: KGX splits every text cell on "|" and has no escape for it: a "|" inside one value is written
#: percent-encoded, so a label keeps its one piece.
KGX_ESCAPED_SEPARATOR = "%7C"


def _tsv_cell(value: object) -> str:
    text = as_text(value)
    if "\t" in text or "\n" in text or "\r" in text:
        raise ValidationFailed(f"a value holds a tab or line break, which KGX TSV cannot carry: {text[:60]!r}")
    return text


def _kgx_value(value: object, is_list: bool) -> object:
    # One value (not a joined list): escape the list separator inside it.
    if is_list or not isinstance(value, str):
        return value
    return value.replace(MULTI_VALUE_SEPARATOR, KGX_ESCAPED_SEPARATOR)


def kgx_primary_ids(graph) -> dict[str, str]:
    """Node CURIE -> the id KGX uses: the Biolink-preferred identifier of the node's category where
    the graph maps the node to one exactly (``skos:exactMatch``) or, for a publication, its PMID,
    else the node's own CURIE.
    Never two nodes on one id: a preferred id two nodes share stays with neither.

    Complexity 17: the choice of a preferred id is one ordered list of cases (exact mappings by the
    category's preferred prefixes, then a PMID), then the rule that a shared id stays with neither.
    """
    from ketamine_kg.rdf.prefixes import converter

    wanted: dict[str, str] = {}
    for n, d in graph.nodes(data=True):
        prefixes = KGX_PREFERRED_PREFIXES.get(d.get("category", ""))
        if not prefixes:
            continue
        found: dict[str, str] = {}
        matches = str(d.get("exactMatch", "") or "")
        for iri in filter(None, matches.split(MULTI_VALUE_SEPARATOR)):
            curie = converter().compress(iri)
            if curie:
                prefix, _, local = curie.partition(":")
                found.setdefault(prefix.upper(), f"{prefix.upper()}:{local}")
        # A publication's PMID is a property of its node, not a mapping. (Its DOI is not used: kgx
        # rejects a "/" in a CURIE's local part, and every DOI has one.)
        pmid = str(d.get("pmid", "") or "")
        if pmid and MULTI_VALUE_SEPARATOR not in pmid:
            found.setdefault("PMID", f"PMID:{pmid}")
        best = next((found[p] for p in prefixes if p in found), None)
        if best:
            wanted[n] = best
    counts: dict[str, int] = {}
    for target in wanted.values():
        counts[target] = counts.get(target, 0) + 1
    taken = set(graph.nodes)
    return {
        n: (wanted[n] if n in wanted and counts[wanted[n]] == 1 and wanted[n] not in taken else n) for n in graph.nodes
    }


def kgx_edge_id(old: str) -> str:
    """A stable IRI for an edge: its statement-and-ends key, hashed."""
    import hashlib

    return KGX_EDGE_BASE + hashlib.sha256(old.encode("utf-8")).hexdigest()[:20]


def _kgx(graph) -> dict[str, bytes]:
    ids = kgx_primary_ids(graph)
    joined = getattr(graph, "joined", {})
    nodes = []
    for n, d in graph.nodes(data=True):
        row = {"id": ids[n], "provided_by": INFORES}
        row.update({_KGX_NODE_COLUMNS.get(k, k): _kgx_value(v, k in joined.get(n, ())) for k, v in d.items()})
        if ids[n] != n:
            # The project's own id stays, as a cross-reference beside the outside ones.
            row["xref"] = MULTI_VALUE_SEPARATOR.join(
                sorted({n, *str(row.get("xref", "") or "").split(MULTI_VALUE_SEPARATOR)} - {""})
            )
        nodes.append(row)
    edges = []
    for u, v, d in graph.edges(data=True):
        row = {
            "subject": ids[u],
            "object": ids[v],
            "category": "biolink:Association",
            "original_predicate": d["relation"],
        }
        lists = joined.get(d.get("statement", ""), set())
        row.update({k: _kgx_value(val, k in lists) for k, val in d.items() if k != "relation"})
        row["id"] = kgx_edge_id(d["id"])
        edges.append(row)
    first_nodes = ["id", "category", "name", "description", "xref", "synonym", "iri", "provided_by"]
    first_edges = [
        "id",
        "subject",
        "predicate",
        "object",
        "category",
        "knowledge_level",
        "agent_type",
        "primary_knowledge_source",
        "publications",
        "original_predicate",
    ]

    def table(rows: list[dict], first: list[str]) -> bytes:
        keys = {k for r in rows for k in r}
        columns = [c for c in first if c in keys] + sorted(keys - set(first))
        return _csv_bytes([columns] + [[_tsv_cell(r[c]) if c in r else "" for c in columns] for r in rows], "\t")

    return {"nodes.tsv": table(nodes, first_nodes), "edges.tsv": table(edges, first_edges)}


#: Format name -> writer: one file's bytes, or file name -> bytes for a folder.
WRITERS: dict[str, Callable[[Any], bytes | dict[str, bytes]]] = {
    "graphml": _graphml,
    "gexf": _gexf,
    "neo4j": _neo4j,
    "kgx": _kgx,
}
