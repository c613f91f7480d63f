"""Canonical writing: a graph serialised to the same bytes on every run, in every RDF format the
project ships (sorted triples, content-labelled blank nodes, ordered XML and JSON-LD)."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph

from ketamine_kg.rdf.vocabulary import PREFIXES

__all__ = ["bind_prefixes", "canonical_bytes"]


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def _sorted_copy(graph: Graph) -> Graph:
    # Blank nodes get labels from their content, and triples go in sorted order, so every
    # serialiser (they walk the store in insertion order) writes the same bytes every run.
    canonical = to_canonical_graph(graph)
    ordered = Graph()
    for triple in sorted(canonical, key=lambda t: tuple(_sort_key(x) for x in t)):
        ordered.add(triple)
    return bind_prefixes(ordered)


def _sort_key(term: object) -> tuple[int, str]:
    if isinstance(term, URIRef):
        return (0, str(term))
    if isinstance(term, BNode):
        return (1, str(term))
    if isinstance(term, Literal):
        return (2, f"{term}\x00{term.datatype or ''}\x00{term.language or ''}")
    return (3, str(term))


def canonical_bytes(graph: Graph, fmt: str) -> bytes:
    """``graph`` serialised in ``fmt`` (an rdflib format name), identically on every run."""
    ordered = _sorted_copy(graph)
    if fmt == "nt":
        lines = ordered.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
        return ("\n".join(sorted(line for line in lines if line.strip())) + "\n").encode("utf-8")
    if fmt == "xml":
        # pretty-xml silently drops statements on list nodes; the flat writer keeps them all,
        # but walks a set, so its elements are put in order afterwards.
        return _stable_xml(ordered.serialize(format="xml", encoding="utf-8"))
    if fmt == "json-ld":
        data = ordered.serialize(format="json-ld", context=dict(PREFIXES), encoding="utf-8")
        return _stable_jsonld(data)
    return ordered.serialize(format=fmt, encoding="utf-8")


_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _stable_xml(data: bytes) -> bytes:
    from xml.etree import ElementTree as ET

    for prefix, ns in {**PREFIXES, "rdf": _RDF}.items():
        ET.register_namespace(prefix, ns)
    root = ET.fromstring(data)

    def key(element: ET.Element) -> tuple[str, str, str]:
        return (element.tag, repr(sorted(element.attrib.items())), element.text or "")

    descriptions = sorted(root, key=lambda d: (d.get(f"{{{_RDF}}}about") or "", d.get(f"{{{_RDF}}}nodeID") or ""))
    root[:] = descriptions
    for description in descriptions:
        description[:] = sorted(description, key=key)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _stable_jsonld(data: bytes) -> bytes:
    import json

    document = json.loads(data)
    nodes = document.get("@graph", [])
    for node in nodes:
        for name, value in node.items():
            # Property values are unordered in RDF; the members of an @list are not, so keep them.
            if isinstance(value, list):
                node[name] = sorted(value, key=lambda v: json.dumps(v, sort_keys=True))
    nodes.sort(key=lambda n: n.get("@id", ""))
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
