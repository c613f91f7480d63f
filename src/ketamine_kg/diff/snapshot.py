"""One version of the graph, read from a file, a git revision or nothing, and indexed by subject
so that two versions can be compared record by record (see diff.py)."""

from __future__ import annotations

import hashlib
import subprocess
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from ketamine_kg.errors import UsageError
from ketamine_kg.rdf.prefixes import compact_iri
from ketamine_kg.rdf.vocabulary import ONTOLOGY_IRI

__all__ = [
    "EMPTY",
    "FORMATS",
    "GIT_DEFAULT_PATH",
    "Snapshot",
    "Term",
    "Triple",
    "load_snapshot",
    "parse_snapshot",
    "short",
]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = _RDF + "type"
LABEL = RDFS + "label"
_SUBCLASS = RDFS + "subClassOf"

#: What a file's suffix says it holds: every format ``ketamine-kg build`` writes, and their usual aliases.
FORMATS: dict[str, ox.RdfFormat] = {
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ttl": ox.RdfFormat.TURTLE,
    ".owl": ox.RdfFormat.RDF_XML,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}
#: What ``git:REF`` means: the N-Triples build at that revision.
GIT_DEFAULT_PATH = "graph/ketamine-kg.nt"
#: A graph with no triples: what a first release is compared with.
EMPTY = "empty"

# A term, made hashable and comparable across formats: ("iri", iri) | ("bnode", signature) |
# ("literal", lexical form, datatype, language).
Term = tuple[str, ...]
Triple = tuple[Term, Term, Term]


@dataclass
class Snapshot:
    """One version of the graph, indexed by subject."""

    name: str
    triples: Counter[Triple]
    by_subject: dict[Term, dict[str, frozenset[Term]]]
    labels: dict[str, str]
    version: str | None

    def members(self, cls: str) -> set[str]:
        """IRIs typed with ``cls`` or one of its subclasses (so that a graph without the build's
        type closure still has its sources found)."""
        children: dict[str, set[str]] = {}
        for subject, fields in self.by_subject.items():
            for parent in fields.get(_SUBCLASS, ()):
                if subject[0] == "iri" and parent[0] == "iri":
                    children.setdefault(parent[1], set()).add(subject[1])
        classes, frontier = {cls}, [cls]
        while frontier:
            for child in children.get(frontier.pop(), ()):
                if child not in classes:
                    classes.add(child)
                    frontier.append(child)
        return {
            subject[1]
            for subject, fields in self.by_subject.items()
            if subject[0] == "iri" and any(t[0] == "iri" and t[1] in classes for t in fields.get(RDF_TYPE, ()))
        }

    def fields(self, iri: str) -> dict[str, frozenset[Term]]:
        return self.by_subject.get(("iri", iri), {})

    def label(self, iri: str) -> str | None:
        return self.labels.get(iri)


# --- Reading ----------------------------------------------------------------------------------------


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _literal(term: ox.Literal) -> Term:
    datatype = term.datatype.value
    value = term.value
    if term.language:
        return ("literal", value, "", term.language.lower())
    if datatype == _XSD + "string":
        datatype = ""
    elif datatype == _XSD + "decimal":
        # Compare numbers by value: one writer says "41.0", another "41".
        try:
            value = format(Decimal(value).normalize(), "f")
        except InvalidOperation:
            pass
    return ("literal", value, datatype, "")


def _raw(term: object) -> Term:
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value)
    if isinstance(term, ox.Literal):
        return _literal(term)
    raise UsageError(f"unsupported RDF term: {term!r}")  # RDF-star triples: not something the build writes


def _name_blank_nodes(triples: list[Triple]) -> list[Triple]:
    # Blank-node ids differ between files and formats, so each blank node is named by a hash of
    # what hangs below it (the build's blank nodes are OWL restrictions and lists: trees). Equal
    # graphs then give equal triples, and a multiset of triples still counts repeated structures.
    outgoing: dict[str, list[tuple[Term, Term]]] = {}
    for s, p, o in triples:
        if s[0] == "bnode":
            outgoing.setdefault(s[1], []).append((p, o))
    names: dict[str, str] = {}

    def children(node: str) -> list[str]:
        return [o[1] for _, o in outgoing.get(node, []) if o[0] == "bnode"]

    # Depth first without recursion, so that a list of thousands of members is named too; a node
    # met again on the current path (a cycle, which the build never writes) counts as "cycle".
    for root in outgoing:
        if root in names:
            continue
        stack, on_path = [(root, iter(children(root)))], {root}
        while stack:
            node, pending = stack[-1]
            child = next((c for c in pending if c not in names and c not in on_path), None)
            if child is not None:
                stack.append((child, iter(children(child))))
                on_path.add(child)
                continue
            stack.pop()
            on_path.discard(node)
            parts = sorted(
                repr((p, ("bnode", names.get(o[1], "cycle")) if o[0] == "bnode" else o)) for p, o in outgoing[node]
            )
            names[node] = "b" + hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:16]

    def rename(term: Term) -> Term:
        # A blank node with nothing below it is named by that: nothing.
        return ("bnode", names.get(term[1], "empty")) if term[0] == "bnode" else term

    return [(rename(s), p, rename(o)) for s, p, o in triples]


def parse_snapshot(data: bytes | None, fmt: ox.RdfFormat, name: str, path: Path | None = None) -> Snapshot:
    """Parse RDF (from ``data``, or from ``path``) into a :class:`Snapshot`.

    :raises UsageError: if it is not well-formed RDF in ``fmt``.

    Complexity 18: one pass over the triples that indexes subjects, labels (best language first), blank
    nodes and the version at once, for graphs of tens of thousands of triples.
    """
    try:
        if path is not None:
            quads = list(ox.parse(path=str(path), format=fmt, without_named_graphs=True))
        else:
            quads = list(ox.parse(input=data, format=fmt, without_named_graphs=True))
    except (SyntaxError, ValueError, OSError) as exc:
        raise UsageError(f"{name}: not readable as {fmt.name}: {_one_line(exc)[:300]}") from exc
    # A graph is a set: a triple written twice in a file is one triple.
    raw = list(dict.fromkeys((_raw(q.subject), _raw(q.predicate), _raw(q.object)) for q in quads))
    triples = _name_blank_nodes(raw)
    counted: Counter[Triple] = Counter(triples)
    by_subject: dict[Term, dict[str, set[Term]]] = {}
    labels: dict[str, tuple[int, str]] = {}
    versions = set()
    for s, p, o in set(triples):
        by_subject.setdefault(s, {}).setdefault(p[1], set()).add(o)
        if p[1] == LABEL and s[0] == "iri" and o[0] == "literal":
            # One label per term, the same every run: English or plain first, then the smallest.
            rank = (0 if o[3] in ("", "en") else 1, o[1])
            if s[1] not in labels or rank < labels[s[1]]:
                labels[s[1]] = rank
        if s == ("iri", ONTOLOGY_IRI) and p[1] == _OWL + "versionInfo" and o[0] == "literal":
            versions.add(o[1])
    frozen = {s: {p: frozenset(v) for p, v in fields.items()} for s, fields in by_subject.items()}
    return Snapshot(
        name=name,
        triples=counted,
        by_subject=frozen,
        labels={iri: rank[1] for iri, rank in labels.items()},
        version=", ".join(sorted(versions)) or None,
    )


def _format_of(path: Path, name: str) -> ox.RdfFormat:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(
            f"{name}: cannot tell the RDF format from the suffix '{path.suffix}' "
            f"(use one of {', '.join(sorted(FORMATS))})"
        )
    return fmt


def _git_root(root: Path | None) -> Path:
    from ketamine_kg.layout import find_layout

    if root is not None:
        return find_layout(root).root
    try:
        return find_layout(None).root
    except UsageError:
        return Path.cwd()


def _git_show(spec: str, root: Path | None) -> bytes:
    ref, _, path = spec[len("git:") :].partition(":")
    path = path or GIT_DEFAULT_PATH
    if not ref:
        raise UsageError(f"{spec}: give a git revision after 'git:' (e.g. git:HEAD, git:v0.1.0)")
    if ref.startswith("-"):
        raise UsageError(f"{spec}: not a git revision")
    # "./" makes the path relative to the project folder even when it sits inside a larger repository.
    try:
        done = subprocess.run(
            ["git", "-C", str(_git_root(root)), "show", f"{ref}:./{path}"], capture_output=True, timeout=60, check=False
        )
    except FileNotFoundError as exc:
        raise UsageError(f"{spec}: git is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise UsageError(f"{spec}: git show took longer than 60 s") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"{spec}: {_one_line(message[0]) if message else 'git show failed'}")
    return done.stdout


def load_snapshot(spec: str, root: Path | None = None) -> Snapshot:
    """Read one version: a graph file (.nt, .ttl, .owl, .jsonld ...), ``git:REF[:PATH]``, that is
    ``graph/ketamine-kg.nt`` (or PATH) as committed at revision REF, or ``empty`` (no triples).

    :raises UsageError: if the file or revision is missing or does not parse.
    """
    if spec == EMPTY:
        return parse_snapshot(b"", ox.RdfFormat.N_TRIPLES, spec)
    if spec.startswith("git:"):
        fmt = _format_of(Path(spec[len("git:") :].partition(":")[2] or GIT_DEFAULT_PATH), spec)
        return parse_snapshot(_git_show(spec, root), fmt, spec)
    path = Path(spec)
    if not path.exists():
        raise UsageError(f"{spec}: no such file")
    if not path.is_file():
        raise UsageError(f"{spec}: not a file")
    return parse_snapshot(None, _format_of(path, spec), spec, path=path)


def short(iri: str) -> str:
    """A curated record's bare id (``claim-x``), else a CURIE (``kk:Supports``), else the IRI."""
    # The bare id is the name a curator wrote in graph/curated/*.yaml, which is what a diff is read against.
    return compact_iri(iri).removeprefix("kkr:")
