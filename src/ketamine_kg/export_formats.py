"""Writers for the property-graph formats: GraphML, GEXF, Neo4j import files and KGX TSV.

Each takes the networkx graph of :func:`export_property_graph.property_graph` and returns the
same bytes on every run.
"""

from __future__ import annotations

import csv
import io
import re

from . import RELEASE_DATE, __version__
from .errors import ValidationFailed
from .export_property_graph import INFORES, MULTI_VALUE_SEPARATOR, as_text, attribute_kinds

__all__ = ["WRITERS"]



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
    node_kinds = attribute_kinds(node_dicts)
    edge_kinds = attribute_kinds(edge_dicts)
    node_cols = [k for k in sorted(node_kinds) if k != "id"]
    edge_cols = sorted(edge_kinds)

    def header(name: str, kind: type) -> str:
        return f"{name}:{_NEO4J_TYPE[kind]}" if _NEO4J_TYPE[kind] else name

    def cell(value: object) -> str:
        return "" if value is None else as_text(value)

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
    text = as_text(value)
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


#: Format name -> writer: one file's bytes, or file name -> bytes for a folder.
WRITERS = {"graphml": _graphml, "gexf": _gexf, "neo4j": _neo4j, "kgx": _kgx}
