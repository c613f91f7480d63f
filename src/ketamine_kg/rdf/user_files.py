"""Read an RDF file a user hands us without fetching, including or expanding anything else.

rdflib's own parsers fetch a JSON-LD remote ``@context`` over the network, and its RDF/XML parser
spends minutes (quadratic string building) on a small file of nested entities ("billion laughs").
User files are therefore parsed by pyoxigraph, which never loads a remote context and reads no
external entity, after a pass of the C XML parser (expat) that refuses external and parameter
entities, entities that refer to other entities, and entity expansion past expat's own limit.
"""

from __future__ import annotations

import pyexpat
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from ketamine_kg.errors import UsageError, one_line

__all__ = ["FORMATS", "UnsafeInput", "format_of", "parse_user_file"]

#: File extension -> pyoxigraph format. Anything else is read as Turtle (rdflib's default too).
FORMATS: dict[str, ox.RdfFormat] = {
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ttl": ox.RdfFormat.TURTLE,
    ".n3": ox.RdfFormat.N3,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".owl": ox.RdfFormat.RDF_XML,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}


class UnsafeInput(ValueError):
    """The file asks the parser to read something other than itself."""


#: How far into a file a NUL byte makes it binary (git's rule: ``buffer_is_binary`` looks at 8,000 bytes).
BINARY_SNIFF = 8000


def format_of(path: Path) -> ox.RdfFormat:
    return FORMATS.get(path.suffix.lower(), ox.RdfFormat.TURTLE)


def _check_xml(data: bytes) -> None:
    # expat in a fresh parser with no external-entity handler never reads another file; the
    # handlers below refuse what would make the real parse fetch, read or blow up.
    parser = pyexpat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)

    def entity(name, is_parameter, value, base, system_id, public_id, notation):  # noqa: ANN001
        if is_parameter:
            raise UnsafeInput(f"parameter entity %{name}; is refused")
        if system_id is not None or public_id is not None:
            raise UnsafeInput(f"external entity &{name}; ({system_id or public_id}) is refused")
        if value is not None and "&" in value.replace("&#", ""):
            raise UnsafeInput(f"entity &{name}; refers to another entity (nested entities are refused)")

    def external(context, base, system_id, public_id):  # noqa: ANN001
        raise UnsafeInput(f"external reference {system_id or public_id} is refused")

    parser.EntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    try:
        parser.Parse(data, True)
    except pyexpat.ExpatError as exc:
        # Includes expat's own "input amplification factor" limit on entity expansion.
        raise SyntaxError(f"not well-formed XML: {exc}") from None


def parse_user_file(path: Path) -> Graph:
    """The triples of the RDF file at ``path`` (format from its extension), in an rdflib graph.

    :raises FileNotFoundError: if there is no such file.
    :raises UsageError: if the file cannot be read, or is binary (a NUL byte in its first 8,000
        bytes, git's test): not a damaged RDF file but the wrong file, as ``query --file`` says.
    :raises UnsafeInput: if an RDF/XML file declares external, parameter or nested entities.
    :raises SyntaxError: if the file is not valid in its format (JSON-LD remote contexts included).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {one_line(str(exc))}") from None
    if b"\x00" in data[:BINARY_SNIFF]:
        raise UsageError(f"cannot read {path}: a binary file, not RDF (a NUL byte in its first {BINARY_SNIFF:,} bytes)")
    fmt = format_of(path)
    if fmt == ox.RdfFormat.RDF_XML:
        _check_xml(data)
    try:
        triples = [
            ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(data, format=fmt, base_iri=path.resolve().as_uri())
        ]
    except (ValueError, OSError) as exc:
        raise SyntaxError(one_line(str(exc))) from None
    graph = Graph()
    if triples:
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return graph
