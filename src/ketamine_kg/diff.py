"""Compare two versions of the graph record by record: claims added, removed and changed, field by field."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from .errors import UsageError
from .vocabulary import KK, KKR, ONTOLOGY_IRI, PREFIXES

__all__ = [
    "EMPTY",
    "FORMATS",
    "GIT_DEFAULT_PATH",
    "KINDS",
    "EntityChange",
    "GraphDiff",
    "KindDiff",
    "Snapshot",
    "diff_cli",
    "diff_snapshots",
    "load_snapshot",
    "parse_snapshot",
    "render",
]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_TYPE = _RDF + "type"
_LABEL = _RDFS + "label"
_SUBCLASS = _RDFS + "subClassOf"

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

#: The kinds of record compared, by key: (plural name, class). Claims are reported field by field;
#: the others are summarised (counts and ids, with the names of the fields that changed).
KINDS: dict[str, tuple[str, str]] = {
    "claims": ("therapeutic-use claims", str(KK.TherapeuticUseClaim)),
    "sources": ("sources", str(KK.Source)),
    "approvals": ("regulatory approvals", str(KK.RegulatoryApproval)),
    "adverse_effects": ("adverse-effect associations", str(KK.AdverseEffectAssociation)),
    "alternatives": ("alternative-treatment statements", str(KK.AlternativeTreatmentStatement)),
}

#: Field names for the properties of a claim, in the order they are shown; any other property
#: is shown under its own label (or CURIE), after these.
FIELD_NAMES: dict[str, str] = {
    _LABEL: "label",
    str(KK.drug): "drug",
    str(KK.condition): "condition",
    str(KK.evidenceLevel): "evidence level",
    str(KK.regulatoryStatus): "regulatory status",
    str(KK.direction): "direction",
    str(KK.approval): "approvals",
    str(KK.source): "sources",
    str(KK.effectSummary): "effect",
    str(KK.doseText): "dose",
    str(KK.route): "route",
    str(KK.setting): "setting",
    str(KK.population): "population",
    str(KK.comparator): "comparator",
    _TYPE: "classes",
}

#: Names for properties from outside vocabularies that carry no label in the ontology.
OTHER_FIELD_NAMES: dict[str, str] = {
    "http://purl.org/dc/terms/title": "title",
    "http://purl.org/dc/terms/date": "date",
    _RDFS + "seeAlso": "see also",
    _RDFS + "comment": "comment",
}

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
            subject[1] for subject, fields in self.by_subject.items()
            if subject[0] == "iri" and any(t[0] == "iri" and t[1] in classes for t in fields.get(_TYPE, ()))
        }

    def fields(self, iri: str) -> dict[str, frozenset[Term]]:
        return self.by_subject.get(("iri", iri), {})

    def label(self, iri: str) -> str | None:
        return self.labels.get(iri)


@dataclass
class EntityChange:
    """One record: its id, label, and (when changed) each field's old and new values."""

    iri: str
    label: str | None
    group: str | None = None
    fields: list[tuple[str, str, list[Term], list[Term]]] = field(default_factory=list)


@dataclass
class KindDiff:
    key: str
    old_count: int
    new_count: int
    added: list[EntityChange]
    removed: list[EntityChange]
    changed: list[EntityChange]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class GraphDiff:
    old: Snapshot
    new: Snapshot
    triples_added: int
    triples_removed: int
    kinds: dict[str, KindDiff]
    #: IRIs of other subjects (drugs, conditions, ontology terms...) whose triples changed.
    others: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.triples_added and not self.triples_removed


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
            parts = sorted(repr((p, ("bnode", names.get(o[1], "cycle")) if o[0] == "bnode" else o))
                           for p, o in outgoing[node])
            names[node] = "b" + hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:16]

    def rename(term: Term) -> Term:
        # A blank node with nothing below it is named by that: nothing.
        return ("bnode", names.get(term[1], "empty")) if term[0] == "bnode" else term

    return [(rename(s), p, rename(o)) for s, p, o in triples]


def parse_snapshot(data: bytes | None, fmt: ox.RdfFormat, name: str, path: Path | None = None) -> Snapshot:
    """Parse RDF (from ``data``, or from ``path``) into a :class:`Snapshot`.

    :raises UsageError: if it is not well-formed RDF in ``fmt``.
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
        if p[1] == _LABEL and s[0] == "iri" and o[0] == "literal":
            # One label per term, the same every run: English or plain first, then the smallest.
            rank = (0 if o[3] in ("", "en") else 1, o[1])
            if s[1] not in labels or rank < labels[s[1]]:
                labels[s[1]] = rank  # type: ignore[assignment]
        if s == ("iri", ONTOLOGY_IRI) and p[1] == _OWL + "versionInfo" and o[0] == "literal":
            versions.add(o[1])
    frozen = {s: {p: frozenset(v) for p, v in fields.items()} for s, fields in by_subject.items()}
    return Snapshot(name=name, triples=counted, by_subject=frozen,
                    labels={iri: rank[1] for iri, rank in labels.items()},
                    version=", ".join(sorted(versions)) or None)


def _format_of(path: Path, name: str) -> ox.RdfFormat:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"{name}: cannot tell the RDF format from the suffix '{path.suffix}' "
                         f"(use one of {', '.join(sorted(FORMATS))})")
    return fmt


def _git_root(root: Path | None) -> Path:
    from .layout import find_layout

    if root is not None:
        return find_layout(root).root
    try:
        return find_layout(None).root
    except UsageError:
        return Path.cwd()


def _git_show(spec: str, root: Path | None) -> bytes:
    ref, _, path = spec[len("git:"):].partition(":")
    path = path or GIT_DEFAULT_PATH
    if not ref:
        raise UsageError(f"{spec}: give a git revision after 'git:' (e.g. git:HEAD, git:v0.1.0)")
    if ref.startswith("-"):
        raise UsageError(f"{spec}: not a git revision")
    # "./" makes the path relative to the project folder even when it sits inside a larger repository.
    try:
        done = subprocess.run(["git", "-C", str(_git_root(root)), "show", f"{ref}:./{path}"],
                              capture_output=True, timeout=60, check=False)
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
        fmt = _format_of(Path(spec[len("git:"):].partition(":")[2] or GIT_DEFAULT_PATH), spec)
        return parse_snapshot(_git_show(spec, root), fmt, spec)
    path = Path(spec)
    if not path.exists():
        raise UsageError(f"{spec}: no such file")
    if not path.is_file():
        raise UsageError(f"{spec}: not a file")
    return parse_snapshot(None, _format_of(path, spec), spec, path=path)


# --- Comparing --------------------------------------------------------------------------------------

def _field_order(predicate: str, name: str) -> tuple[int, str]:
    names = list(FIELD_NAMES)
    return (names.index(predicate), "") if predicate in names else (len(names), name)


def _field_name(predicate: str, old: Snapshot, new: Snapshot) -> str:
    if predicate in FIELD_NAMES:
        return FIELD_NAMES[predicate]
    if predicate in OTHER_FIELD_NAMES:
        return OTHER_FIELD_NAMES[predicate]
    return new.label(predicate) or old.label(predicate) or _short(predicate)


def _group(snapshot: Snapshot, iri: str) -> str | None:
    conditions = sorted(t[1] for t in snapshot.fields(iri).get(str(KK.condition), ()) if t[0] == "iri")
    if not conditions:
        return None
    return ", ".join(snapshot.label(c) or _short(c) for c in conditions)


def _compare_kind(key: str, old: Snapshot, new: Snapshot) -> KindDiff:
    cls = KINDS[key][1]
    before, after = old.members(cls), new.members(cls)
    added = [EntityChange(i, new.label(i), _group(new, i)) for i in sorted(after - before)]
    removed = [EntityChange(i, old.label(i), _group(old, i)) for i in sorted(before - after)]
    changed = []
    for iri in sorted(before & after):
        a, b = old.fields(iri), new.fields(iri)
        if a == b:
            continue
        change = EntityChange(iri, new.label(iri), _group(new, iri))
        for predicate in set(a) | set(b):
            olds, news = a.get(predicate, frozenset()), b.get(predicate, frozenset())
            if olds != news:
                change.fields.append((predicate, _field_name(predicate, old, new), sorted(olds), sorted(news)))
        change.fields.sort(key=lambda f: _field_order(f[0], f[1]))
        changed.append(change)
    return KindDiff(key, len(before), len(after), added, removed, changed)


def diff_snapshots(old: Snapshot, new: Snapshot) -> GraphDiff:
    """What changed from ``old`` to ``new``: every kind of record, and the triples."""
    added = new.triples - old.triples
    removed = old.triples - new.triples
    kinds = {key: _compare_kind(key, old, new) for key in KINDS}
    covered = {c.iri for kind in kinds.values() for c in (*kind.added, *kind.removed, *kind.changed)}
    others = sorted({s[1] for s, _, _ in (*added, *removed) if s[0] == "iri"} - covered)
    return GraphDiff(old, new, sum(added.values()), sum(removed.values()), kinds, others)


# --- Rendering --------------------------------------------------------------------------------------

_CURIES = sorted(((ns, prefix) for prefix, ns in PREFIXES.items()), key=lambda x: -len(x[0]))


def _short(iri: str) -> str:
    """A curated record's bare id (``claim-x``), else a CURIE (``kk:Supports``), else the IRI."""
    if iri.startswith(str(KKR)):
        return iri[len(str(KKR)):]
    for ns, prefix in _CURIES:
        if iri.startswith(ns) and iri != ns:
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _value_json(term: Term, snapshot: Snapshot) -> dict[str, str]:
    if term[0] == "iri":
        out = {"id": _short(term[1]), "iri": term[1]}
        label = snapshot.label(term[1])
        if label is not None:
            out["label"] = label
        return out
    if term[0] == "bnode":
        return {"blank": term[1]}
    out = {"literal": term[1]}
    if term[2]:
        out["datatype"] = _short(term[2])
    if term[3]:
        out["language"] = term[3]
    return out


def _value_text(term: Term, snapshot: Snapshot, markdown: bool = False) -> str:
    """``label (id)`` for a term with a label, the id alone otherwise; literals quoted."""
    if term[0] == "iri":
        ident = _short(term[1])
        label = snapshot.label(term[1])
        shown = f"`{ident}`" if markdown else ident
        if label and label != ident:
            return f"{_md(label) if markdown else label} ({shown})"
        return shown
    if term[0] == "bnode":
        return "[blank node]"
    quoted = json.dumps(term[1], ensure_ascii=False)
    return _md(quoted) if markdown else quoted


def _entity_json(change: EntityChange, diff: GraphDiff, with_fields: bool) -> dict[str, object]:
    out: dict[str, object] = {"id": _short(change.iri), "iri": change.iri, "label": change.label}
    if change.group is not None:
        out["condition"] = change.group
    if with_fields:
        out["fields"] = [
            {"field": name, "property": _short(predicate),
             "old": [_value_json(t, diff.old) for t in olds], "new": [_value_json(t, diff.new) for t in news]}
            for predicate, name, olds, news in change.fields
        ]
    return out


def _as_json(diff: GraphDiff) -> str:
    data: dict[str, object] = {
        "old": {"name": diff.old.name, "version": diff.old.version, "triples": sum(diff.old.triples.values())},
        "new": {"name": diff.new.name, "version": diff.new.version, "triples": sum(diff.new.triples.values())},
        "identical": diff.identical,
        "triples": {"added": diff.triples_added, "removed": diff.triples_removed},
        "other_subjects_changed": [_short(iri) for iri in diff.others],
    }
    for key, kind in diff.kinds.items():
        data[key] = {
            "counts": {"old": kind.old_count, "new": kind.new_count, "added": len(kind.added),
                       "removed": len(kind.removed), "changed": len(kind.changed)},
            "added": [_entity_json(c, diff, False) for c in kind.added],
            "removed": [_entity_json(c, diff, False) for c in kind.removed],
            "changed": [_entity_json(c, diff, True) for c in kind.changed],
        }
    return json.dumps(data, indent=1, ensure_ascii=False)


def _by_group(changes: list[EntityChange]) -> list[tuple[str, list[EntityChange]]]:
    groups: dict[str, list[EntityChange]] = {}
    for change in changes:
        groups.setdefault(change.group or "(no condition)", []).append(change)
    return sorted(groups.items(), key=lambda g: g[0].lower())


def _field_lines(olds: list[Term], news: list[Term], diff: GraphDiff, markdown: bool) -> tuple[str, list[str]]:
    """``old -> new`` when one value replaced another; otherwise a line per value gone or come."""
    if len(olds) <= 1 and len(news) <= 1:
        before = _value_text(olds[0], diff.old, markdown) if olds else "(none)"
        after = _value_text(news[0], diff.new, markdown) if news else "(none)"
        return f"{before} {'→' if markdown else '->'} {after}", []
    gone = [f"{'removed: ' if markdown else '- '}{_value_text(t, diff.old, markdown)}" for t in olds if t not in news]
    come = [f"{'added: ' if markdown else '+ '}{_value_text(t, diff.new, markdown)}" for t in news if t not in olds]
    return "", gone + come


def _some(iris: list[str], markdown: bool, limit: int = 12) -> str:
    shown = [f"`{_short(i)}`" if markdown else _short(i) for i in iris[:limit]]
    return ", ".join(shown) + (f" and {len(iris) - limit} more" if len(iris) > limit else "")


def _counts(kind: KindDiff) -> str:
    return (f"{len(kind.added)} added, {len(kind.removed)} removed, {len(kind.changed)} changed "
            f"({kind.old_count:,} -> {kind.new_count:,})")


def _version(snapshot: Snapshot) -> str:
    return f"version {snapshot.version}" if snapshot.version else "no version"


def _header(diff: GraphDiff) -> list[str]:
    def side(s: Snapshot) -> str:
        return f"{s.name} ({_version(s)}, {sum(s.triples.values()):,} triples)"

    return [f"ketamine-kg diff: {side(diff.old)} -> {side(diff.new)}"]


def _as_text(diff: GraphDiff) -> str:
    lines = _header(diff)
    lines.append(f"triples: +{diff.triples_added:,} -{diff.triples_removed:,}")
    claims = diff.kinds["claims"]
    lines += ["", f"{KINDS['claims'][0]}: {_counts(claims)}"]
    for title, mark, changes in (("added", "+", claims.added), ("removed", "-", claims.removed)):
        if changes:
            lines.append(f"  {title}:")
            for group, members in _by_group(changes):
                lines.append(f"    {group}")
                lines += [f"      {mark} {_short(c.iri)}  {c.label or ''}".rstrip() for c in members]
    if claims.changed:
        lines.append("  changed:")
        for c in claims.changed:
            lines.append(f"    ~ {_short(c.iri)}  {c.label or ''}".rstrip())
            for _, name, olds, news in c.fields:
                head, items = _field_lines(olds, news, diff, markdown=False)
                lines.append(f"        {name}: {head}".rstrip())
                lines += [f"          {item}" for item in items]
    for key, kind in diff.kinds.items():
        if key == "claims":
            continue
        lines += ["", f"{KINDS[key][0]}: {_counts(kind)}"]
        for mark, changes in (("+", kind.added), ("-", kind.removed)):
            lines += [f"  {mark} {_short(c.iri)}" for c in changes]
        lines += [f"  ~ {_short(c.iri)}  ({', '.join(f[1] for f in c.fields)})" for c in kind.changed]
    if diff.others:
        lines += ["", f"other subjects with changed triples: {len(diff.others)}", "  " + _some(diff.others, False)]
    return "\n".join(lines)


def _md(text: str | None) -> str:
    # Labels are curated text; keep them from being read as markdown.
    return (text or "").replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("<", "&lt;")


def _as_markdown(diff: GraphDiff) -> str:
    claims = diff.kinds["claims"]
    lines = [f"Compared `{diff.old.name}` ({_version(diff.old)}) with `{diff.new.name}` ({_version(diff.new)})."]
    for title, changes in (("Added claims", claims.added), ("Removed claims", claims.removed)):
        lines += ["", f"### {title} ({len(changes)})"]
        if not changes:
            lines += ["", "None."]
        for group, members in _by_group(changes):
            lines += ["", f"#### {_md(group)}", ""]
            lines += [f"- `{_short(c.iri)}` {_md(c.label)}".rstrip() for c in members]
    lines += ["", f"### Changed claims ({len(claims.changed)})", ""]
    if not claims.changed:
        lines.append("None.")
    for c in claims.changed:
        lines.append(f"- `{_short(c.iri)}` {_md(c.label)}".rstrip())
        for _, name, olds, news in c.fields:
            head, items = _field_lines(olds, news, diff, markdown=True)
            lines.append(f"  - {_md(name)}: {head}".rstrip())
            lines += [f"    - {item}" for item in items]
    lines += ["", "### Counts", "", "| | before | after | added | removed | changed |",
              "|---|---:|---:|---:|---:|---:|"]
    for key, kind in diff.kinds.items():
        lines.append(f"| {KINDS[key][0]} | {kind.old_count:,} | {kind.new_count:,} | {len(kind.added)} | "
                     f"{len(kind.removed)} | {len(kind.changed)} |")
    old_total, new_total = sum(diff.old.triples.values()), sum(diff.new.triples.values())
    lines.append(f"| triples | {old_total:,} | {new_total:,} | {diff.triples_added:,} | {diff.triples_removed:,} | |")
    for key, kind in diff.kinds.items():
        if key == "claims":
            continue
        for verb, changes in (("added", kind.added), ("removed", kind.removed), ("changed", kind.changed)):
            if changes:
                ids = ", ".join(f"`{_short(c.iri)}`" for c in changes)
                lines += ["", f"{KINDS[key][0].capitalize()} {verb}: {ids}."]
    if diff.others:
        lines += ["", f"Other subjects with changed triples ({len(diff.others)}): {_some(diff.others, True)}."]
    return "\n".join(lines)


def render(diff: GraphDiff, fmt: str = "text") -> str:
    """The diff as ``text`` (for a terminal), ``markdown`` (for CHANGELOG.md) or ``json``."""
    if fmt == "json":
        return _as_json(diff)
    if diff.identical:
        return "no changes"
    if fmt == "markdown":
        return _as_markdown(diff)
    if fmt == "text":
        return _as_text(diff)
    raise UsageError(f"unknown diff format {fmt!r} (use text, markdown or json)")


def diff_cli(old: str, new: str, fmt: str = "text", root: Path | None = None) -> str:
    """What ``ketamine-kg diff OLD NEW`` prints."""
    return render(diff_snapshots(load_snapshot(old, root), load_snapshot(new, root)), fmt)
