"""The graph in three named graphs: ontology, asserted (the curated facts) and inferred.

The build knows which triple came from where, so it writes them to ``graph/ketamine-kg.nq``;
the TriG and N-Quads exports and the property graphs read that file, never the YAML again.

* ``https://w3id.org/ketamine-kg/graph/ontology``: the TBox (``ontology/ketamine.ttl``), with
  every blank node (OWL restrictions and lists come only from the ontology);
* ``https://w3id.org/ketamine-kg/graph/asserted``: the curated facts, ``graph/curated/*.yaml``
  compiled;
* ``https://w3id.org/ketamine-kg/graph/inferred``: what HermiT and the SPARQL rules added.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.compare import isomorphic, to_canonical_graph

from ketamine_kg.errors import UsageError, ValidationFailed
from ketamine_kg.layout import Layout
from ketamine_kg.rdf.vocabulary import BASE, PREFIXES

__all__ = ["GRAPH_IRIS", "ProvenanceSplit", "nquads_bytes", "split_built", "split_provenance", "trig_bytes"]

#: The named graphs of the TriG and N-Quads files.
GRAPH_IRIS: dict[str, URIRef] = {
    "ontology": URIRef(BASE + "graph/ontology"),
    "asserted": URIRef(BASE + "graph/asserted"),
    "inferred": URIRef(BASE + "graph/inferred"),
}


@dataclass
class ProvenanceSplit:
    """The full graph and the three parts it is the union of."""

    full: Graph
    parts: dict[str, Graph]

    def graph_of(self) -> dict[tuple, str]:
        """Which part each triple of the full graph went to."""
        return {triple: name for name, part in self.parts.items() for triple in part}


def _has_bnode(triple: tuple) -> bool:
    return any(isinstance(term, BNode) for term in triple)


def split_built(tbox: Graph, asserted: Graph, full: Graph) -> ProvenanceSplit:
    """Place every triple of a build in one part: the ontology first, then the curated facts."""
    if any(_has_bnode(t) for t in asserted):
        raise ValidationFailed("the curated graph holds blank nodes; they cannot be placed in a named graph")
    # Canonical blank-node labels, so the file is the same bytes on every run.
    canonical = to_canonical_graph(full)
    parts = {name: Graph() for name in GRAPH_IRIS}
    for t in canonical:
        if _has_bnode(t) or t in tbox:
            parts["ontology"].add(t)
        elif t in asserted:
            parts["asserted"].add(t)
        else:
            parts["inferred"].add(t)
    return ProvenanceSplit(full=canonical, parts=parts)


def nquads_bytes(split: ProvenanceSplit) -> bytes:
    lines: list[str] = []
    for name, part in split.parts.items():
        graph_term = f"<{GRAPH_IRIS[name]}>"
        # Each part keeps the full graph's canonical blank-node labels: write it as N-Triples
        # without relabelling (canonical_bytes would relabel per part).
        for line in part.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines():
            if line.strip():
                lines.append(f"{line.rstrip().removesuffix('.').rstrip()} {graph_term} .")
    return ("\n".join(sorted(lines)) + "\n").encode("utf-8")


def split_provenance(layout: Layout) -> ProvenanceSplit:
    """The named graphs the build wrote, checked against ``graph/ketamine-kg.nt``.

    :raises ValidationFailed: if the two files disagree (one is older: run ``ketamine-kg build``).
    """
    full_path, quads_path = layout.graph_file("nt"), layout.named_graphs_file
    for path in (full_path, quads_path):
        if not path.is_file():
            raise UsageError(f"{path} is missing; run 'ketamine-kg build' first")
    full = Graph().parse(full_path, format="nt")
    dataset = Dataset()
    dataset.parse(quads_path, format="nquads")
    parts = {name: Graph() for name in GRAPH_IRIS}
    for name, iri in GRAPH_IRIS.items():
        for t in dataset.graph(iri):
            parts[name].add(t)
    union = Graph()
    for part in parts.values():
        for t in part:
            union.add(t)
    plain = lambda g: {t for t in g if not _has_bnode(t)}  # noqa: E731
    if plain(union) != plain(full) or not isomorphic(union, full):
        raise ValidationFailed(f"{quads_path.name} is out of date with {full_path.name}; run 'ketamine-kg build'")
    # Triples are compared by value from here on, so take them from the full graph's parse.
    return ProvenanceSplit(full=full, parts=parts)


def trig_bytes(split: ProvenanceSplit) -> bytes:
    from ketamine_kg.rdf.canonical import canonical_bytes

    head = [f"@prefix {prefix}: <{ns}> ." for prefix, ns in sorted(PREFIXES.items())]
    blocks = []
    for name, part in split.parts.items():
        # Only the ontology part holds blank nodes, so writing each part with its own canonical
        # labels cannot merge two different blank nodes.
        turtle = canonical_bytes(part, "turtle").decode("utf-8")
        body = "\n".join(
            line for line in turtle.splitlines() if not line.startswith(("@prefix", "PREFIX", "@base"))
        ).strip("\n")
        indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
        blocks.append(f"# {name}: {len(part):,} triples\n<{GRAPH_IRIS[name]}> {{\n{indented}\n}}\n")
    return ("\n".join(head) + "\n\n" + "\n".join(blocks)).encode("utf-8")
