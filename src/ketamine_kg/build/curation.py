"""Load the curated YAML under ``graph/curated`` and check it record by record.

The record models are generated from the schema (``curation_models.py``); the cross-record rules
below read the schema (``schema_map.py``) for which references must resolve to what."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ketamine_kg.errors import CurationError
from ketamine_kg.rdf.prefixes import check_curie
from ketamine_kg.schema.curation_models import SECTIONS, Entity, Sections
from ketamine_kg.schema.model_support import Record
from ketamine_kg.schema.schema_map import CLASSES, ENUMS

__all__ = [
    "ENTITY_TYPES",
    "EVIDENCE_LEVELS",
    "REGULATORY_STATUSES",
    "SECTIONS",
    "Curation",
    "Problem",
    "check",
    "load",
]

ENTITY_TYPES: tuple[str, ...] = tuple(name for name, c in CLASSES.items() if c["entity_type"])
EVIDENCE_LEVELS: tuple[str, ...] = tuple(ENUMS["EvidenceLevel"])
REGULATORY_STATUSES: tuple[str, ...] = tuple(ENUMS["RegulatoryStatus"])
#: Record class of each section (``claims`` -> ``Claim``).
SECTION_CLASS: dict[str, str] = {section: model.__name__ for section, model in SECTIONS.items()}


@dataclass(frozen=True)
class Problem:
    """One broken rule in one record."""

    where: str  #: ``file.yaml: section[index] id``
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.rule}: {self.detail}"


@dataclass
class Curation(Sections):
    """All curated records, by section (one typed list per section: ``curation.claims`` is a
    ``list[Claim]``), each remembering the file it came from."""

    origin: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def records(self) -> dict[str, list[Record]]:
        """Section name -> its records (the typed lists themselves)."""
        return self.by_section()

    def where(self, section: str, record: Any) -> str:
        return self.origin.get((section, _key(record)), "?") + f": {section} {_key(record)}"

    @property
    def entity_index(self) -> dict[str, Entity]:
        return {e.id: e for e in self.entities}


def _key(record: Any) -> str:
    return record.id


def load(folder: Path) -> Curation:
    """Read every ``*.yaml`` file in ``folder`` (sorted, so the result never depends on the disk).

    :raises CurationError: when a file cannot be read or parsed, or a record does not fit its
        section's model; the message names the file and the record.

    Complexity 16: each way a file can be wrong (unreadable, not a mapping, an unknown section, a section
    not a list, a record that fails its model) is its own one-line error naming file and record.
    """
    if not folder.is_dir():
        raise CurationError(f"curated-data folder not found: {folder}")
    curation = Curation()
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CurationError(f"{path.name}: cannot read YAML: {_one_line(exc)}") from exc
        if not isinstance(data, dict):
            raise CurationError(f"{path.name}: expected sections (a mapping) at the top level")
        for section, rows in data.items():
            model = SECTIONS.get(section)
            if model is None:
                problems.append(Problem(path.name, "unknown-section", f"{section!r} (known: {', '.join(SECTIONS)})"))
                continue
            if not isinstance(rows, list):
                problems.append(Problem(f"{path.name}: {section}", "not-a-list", "a section is a list of records"))
                continue
            for index, row in enumerate(rows):
                label = row.get("id", row.get("entity", "")) if isinstance(row, dict) else ""
                where = f"{path.name}: {section}[{index}] {label}".rstrip()
                try:
                    record = model.model_validate(row)
                except ValidationError as exc:
                    for err in exc.errors():
                        loc = ".".join(str(p) for p in err["loc"]) or "record"
                        message = err["msg"].removeprefix("Value error, ")
                        problems.append(Problem(where, "schema", f"{loc}: {message}"))
                    continue
                curation.records[section].append(record)
                curation.origin.setdefault((section, _key(record)), path.name)
    if problems:
        raise CurationError.from_problems(problems)
    return curation


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _values(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, tuple) else (value,)


def _record_slots(section: str, record: Any) -> dict[str, dict[str, Any]]:
    # An entity's fields are those of its type's class; every other record's, of its section's class.
    return CLASSES[record.type if section == "entities" else SECTION_CLASS[section]]["slots"]


def _a(name: str) -> str:
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


class _Checker:
    def __init__(self, curation: Curation, today: _dt.date) -> None:
        self.curation = curation
        self.today = today
        self.problems: list[Problem] = []
        self.entities = curation.entity_index
        #: Record id -> the class of its record, for the records other records refer to.
        self.kinds: dict[str, str] = {}
        for section, rows in curation.records.items():
            if section != "entities":
                for record in rows:
                    self.kinds.setdefault(_key(record), SECTION_CLASS[section])

    def add(self, section: str, record: Any, rule: str, detail: str) -> None:
        self.problems.append(Problem(self.curation.where(section, record), rule, detail))

    def reference(self, section: str, record: Any, name: str, slot: dict[str, Any], ref: str) -> None:
        """A reference resolves to a record of the slot's range: an entity of an allowed type, or a
        record of the range's class."""
        what, target = name.replace("_", " "), slot["range"]
        if slot["kind"] == "entity":
            allowed = [t for t in ENTITY_TYPES if target in CLASSES[t]["ancestors"]]
            entity = self.entities.get(ref)
            if entity is None:
                self.add(section, record, "dangling-reference", f"{what} {ref!r} is not a curated entity")
            elif entity.type not in allowed:
                self.add(
                    section, record, "wrong-type", f"{what} {ref!r} is a {entity.type}, expected {' or '.join(allowed)}"
                )
            return
        kind = self.kinds.get(ref)
        if kind == target:
            return
        rule = "dangling-source" if target == "Source" else "dangling-reference"
        if kind is None and ref in self.entities:
            kind = f"{self.entities[ref].type} entity"
        if kind is None:
            self.add(section, record, rule, f"{what} {ref!r} is not in any {target.lower()} record")
        else:
            self.add(section, record, "wrong-type", f"{what} {ref!r} is {_a(kind)}, expected {_a(target)}")

    def references(self) -> None:
        for section, rows in self.curation.records.items():
            for record in rows:
                for name, slot in _record_slots(section, record).items():
                    if slot["kind"] in ("entity", "record"):
                        for ref in _values(getattr(record, name, None)):
                            self.reference(section, record, name, slot, ref)

    def entity_fields(self) -> None:
        """Which entity type may, and which must, have which field: read from the type's class."""
        for e in self.curation.entities:
            own = CLASSES[e.type]["slots"]
            for name in type(e).model_fields:
                if name not in own and _values(getattr(e, name)):
                    owners = [t for t in ENTITY_TYPES if name in CLASSES[t]["slots"]]
                    self.add("entities", e, "misplaced-field", f"only {' or '.join(_a(o) for o in owners)} has {name}")
            for name, slot in own.items():
                if slot["required"] and not _values(getattr(e, name, None)):
                    self.add("entities", e, "missing-field", f"{_a(e.type)} has {name}")


def check(curation: Curation, today: _dt.date | None = None) -> list[Problem]:
    """Check the rules that span records: unique IDs, references that resolve to the types the
    schema allows, identifier patterns, no duplicate labels, no dates in the future, and the
    rules of claims, approvals and results."""
    checker = _Checker(curation, today or _dt.date.today())
    ids: dict[str, str] = {}
    for section, rows in curation.records.items():
        for record in rows:
            rid = _key(record)
            if rid in ids:
                checker.add(section, record, "duplicate-id", f"{rid!r} is also used in {ids[rid]}")
            else:
                ids[rid] = curation.where(section, record)
    checker.references()
    checker.entity_fields()
    for section, rows in curation.records.items():
        for record in rows:
            rule = _RECORD_RULES.get(section)
            if rule is not None:
                rule(checker, record)
    labels: dict[tuple[str, str], str] = {}
    for e in curation.entities:
        key = (e.type, e.label.casefold())
        if key in labels:
            checker.add("entities", e, "duplicate-label", f"{e.type} label {e.label!r} is also used by {labels[key]!r}")
        else:
            labels[key] = e.id
    return checker.problems


# --- the rules of one kind of record ---------------------------------------------------------


def _claim(c: _Checker, claim: Any) -> None:
    if claim.regulatory_status == "approved" and not claim.approvals:
        c.add("claims", claim, "approval-without-decision", "an approved use names the approval(s) behind it")
    if claim.approvals and claim.regulatory_status != "approved":
        c.add("claims", claim, "status-mismatch", "a claim with approvals has status 'approved'")


def _approval(c: _Checker, a: Any) -> None:
    if a.indication is None and not a.indication_text:
        c.add("approvals", a, "missing-field", "an approval names an indication or gives indication_text")
    if a.approval_date > c.today:
        c.add("approvals", a, "future-date", f"{a.approval_date.isoformat()} is after {c.today.isoformat()}")


def _source(c: _Checker, s: Any) -> None:
    if s.year is not None and s.year > c.today.year:
        c.add("sources", s, "future-date", f"year {s.year} is after {c.today.year}")
    if not (s.pmid or s.doi or s.url):
        c.add("sources", s, "unlocatable-source", "a source gives a PMID, a DOI or a URL")


def _xref(c: _Checker, x: Any) -> None:
    problem = check_curie(x.curie)
    if problem is not None:
        rule = "unknown-prefix" if problem.startswith("prefix") else "identifier-pattern"
        c.add("xrefs", x, rule, f"{x.curie!r}: {problem}")


def _result(c: _Checker, r: Any) -> None:
    per_arm = bool(ENUMS["Measure"][r.measure]["annotations"].get("per_arm"))
    if r.arm and r.contrast:
        c.add("results", r, "arm-or-contrast", "a row is for one arm (arm) or a contrast (contrast), not both")
    elif per_arm and not r.arm:
        c.add("results", r, "arm-or-contrast", f"{r.measure} is a per-arm measure: the row names its arm")
    elif not (r.arm or r.contrast):
        # A between-group measure may also be reported within one arm (a pre-post effect size).
        c.add(
            "results", r, "arm-or-contrast", "a row names its arm (one arm's figure) or its contrast (between groups)"
        )
    bounds = [
        (n, v) for n, v in (("ci_lower", r.ci_lower), ("value", r.value), ("ci_upper", r.ci_upper)) if v is not None
    ]
    if any(a[1] > b[1] for a, b in pairwise(bounds)) or (
        r.ci_lower is not None and r.ci_upper is not None and r.ci_lower > r.ci_upper
    ):
        shown = " <= ".join(f"{n} {v:g}" for n, v in bounds)
        c.add("results", r, "ci-order", f"expected {shown}")


_RECORD_RULES = {"claims": _claim, "approvals": _approval, "sources": _source, "xrefs": _xref, "results": _result}
