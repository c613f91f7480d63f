"""Compare two versions of the graph record by record: claims added, removed and changed, field by field.

Reading a version is in diff_snapshot.py, printing the comparison in diff_render.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from ketamine_kg.diff.snapshot import (
    EMPTY,
    FORMATS,
    GIT_DEFAULT_PATH,
    LABEL,
    RDF_TYPE,
    RDFS,
    Snapshot,
    Term,
    load_snapshot,
    parse_snapshot,
)
from ketamine_kg.diff.snapshot import short as _short
from ketamine_kg.rdf.vocabulary import KK
from ketamine_kg.schema.schema_map import CLASSES, SECTIONS

__all__ = [
    "EMPTY",
    "FORMATS",
    "GIT_DEFAULT_PATH",
    "KINDS",
    "EntityChange",
    "GraphDiff",
    "KindDiff",
    "Snapshot",
    "diff_snapshots",
    "load_snapshot",
    "parse_snapshot",
]

#: The kinds of record compared, by section: (plural name, class IRI from the schema). Claims are
#: reported field by field; the others are summarised (counts and ids, with the names of the
#: fields that changed).
KINDS: dict[str, tuple[str, str]] = {
    section: (name, CLASSES[SECTIONS[section]]["uri"])
    for section, name in (
        ("claims", "therapeutic-use claims"),
        ("sources", "sources"),
        ("approvals", "regulatory approvals"),
        ("adverse_effects", "adverse-effect associations"),
        ("alternatives", "alternative-treatment statements"),
        ("studies", "studies"),
        ("results", "results"),
    )
}


def _claim_field_names() -> dict[str, str]:
    # A claim's fields in the schema's order, named as in the YAML ("evidence level"); its label
    # first and its classes last.
    names = {LABEL: "label"}
    for name, slot in CLASSES[SECTIONS["claims"]]["slots"].items():
        if slot["uri"] and not slot["identifier"]:
            names.setdefault(slot["uri"], name.replace("_", " "))
    names[RDF_TYPE] = "classes"
    return names


#: Field names for the properties of a claim, in the order they are shown; any other property
#: is shown under its own label (or CURIE), after these.
FIELD_NAMES: dict[str, str] = _claim_field_names()

#: Names for properties from outside vocabularies that carry no label in the ontology.
OTHER_FIELD_NAMES: dict[str, str] = {
    "http://purl.org/dc/terms/title": "title",
    "http://purl.org/dc/terms/date": "date",
    RDFS + "seeAlso": "see also",
    RDFS + "comment": "comment",
}


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
