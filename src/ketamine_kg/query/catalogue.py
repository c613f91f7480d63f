"""The named queries: one competency question per ``.rq`` file, described by its header comment.

A header looks like::

    # title: Risks of a drug form
    # question: What are the risks of a drug form, acute and chronic, with label frequencies?
    # param: drug | iri | kkr:esketamine-nasal-spray | The drug form | kk:Drug
    # view: table

``param`` fields: name | kind (iri, string, integer, decimal, date) | default | description |
optional class whose members are the sensible choices. Values are bound as RDF terms, never
pasted as typed: as a one-row ``VALUES`` block at the head of the WHERE clause where that is proven
to give the same answers (see ``engine.bind_parameters``), else by SPARQL substitution (SEP-0007), which
needs the parameter to be a variable the query projects.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal as TypingLiteral
from typing import cast

from ketamine_kg.errors import UsageError
from ketamine_kg.query.results import Term
from ketamine_kg.rdf.prefixes import PREFIXES, expand_curie

__all__ = ["NamedQuery", "Parameter", "expand", "load_catalogue", "parse_header"]

ParamKind = TypingLiteral["iri", "string", "integer", "decimal", "date"]
_KINDS = ("iri", "string", "integer", "decimal", "date")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def expand(value: str) -> str:
    """A full IRI from an IRI, a CURIE the one converter knows, or a bare resource slug.

    >>> expand("kkr:ketamine")
    'https://w3id.org/ketamine-kg/resource/ketamine'
    >>> expand("ketamine")
    'https://w3id.org/ketamine-kg/resource/ketamine'

    :raises UsageError: if ``value`` is none of these.
    """
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value):
        iri = value
    else:
        try:
            iri = expand_curie(f"kkr:{value}" if _SLUG.match(value) else value)
        except ValueError:
            raise UsageError(
                f"not an IRI, a CURIE ({', '.join(sorted(PREFIXES))} or a cross-reference prefix such as MONDO)"
                f" or a resource id: {value!r}"
            ) from None
    if _IRI_FORBIDDEN.search(iri):
        raise UsageError(f"not a valid IRI: {value!r}")
    return iri


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: ParamKind
    default: str
    description: str
    choices_class: str | None = None

    def to_term(self, value: str) -> Term:
        """The RDF term for a value a user typed.

        :raises UsageError: if the value does not fit the parameter's kind.
        """
        text = value.strip()
        try:
            if self.kind == "iri":
                return Term.iri(expand(text))
            if self.kind == "integer":
                return Term.literal(str(int(text)), _XSD + "integer")
            if self.kind == "decimal":
                number = Decimal(text)
                if not number.is_finite():
                    raise ValueError(text)
                return Term.literal(str(number), _XSD + "decimal")
            if self.kind == "date":
                return Term.literal(_dt.date.fromisoformat(text).isoformat(), _XSD + "date")
            return Term.literal(value, _XSD + "string")
        except (ValueError, InvalidOperation):
            raise UsageError(f"parameter {self.name!r} takes a {self.kind}, got {value!r}") from None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    title: str
    question: str
    text: str
    parameters: tuple[Parameter, ...] = ()
    view: str = "table"

    def bindings(self, given: dict[str, str] | None = None) -> dict[str, Term]:
        """Every parameter bound: the given values, the defaults for the rest.

        :raises UsageError: for an unknown parameter name or a value of the wrong kind.
        """
        given = dict(given or {})
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(given) - set(known))
        if unknown:
            accepted = ", ".join(known) or "none"
            raise UsageError(f"query {self.name!r} has no parameter {unknown[0]!r} (it takes: {accepted})")
        return {p.name: p.to_term(given.get(p.name, p.default)) for p in self.parameters}


@dataclass
class _Header:
    fields: dict[str, str] = field(default_factory=dict)
    params: list[Parameter] = field(default_factory=list)


def parse_header(path: Path, text: str) -> _Header:
    header = _Header()
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        key, sep, value = stripped.lstrip("#").strip().partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "param":
            parts = [p.strip() for p in value.split("|")]
            if len(parts) not in (4, 5) or parts[1] not in _KINDS:
                raise UsageError(
                    f"{path.name}: bad param line (name | kind | default | description [| class]): {value!r}"
                )
            kind = cast(ParamKind, parts[1])  # checked against _KINDS above
            header.params.append(Parameter(parts[0], kind, parts[2], parts[3], parts[4] if len(parts) == 5 else None))
        elif key in ("title", "question", "view"):
            header.fields[key] = value
    return header


def load_catalogue(folder: Path) -> dict[str, NamedQuery]:
    """Every ``*.rq`` directly in ``folder`` (checks live in a subfolder), keyed by file stem.

    :raises UsageError: if a file cannot be read or lacks its title or question.
    """
    catalogue: dict[str, NamedQuery] = {}
    for path in sorted(folder.glob("*.rq")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {path}: {exc}") from exc
        header = parse_header(path, text)
        missing = [k for k in ("title", "question") if k not in header.fields]
        if missing:
            raise UsageError(f"{path.name}: header lacks {', '.join(missing)}")
        catalogue[path.stem] = NamedQuery(
            name=path.stem,
            path=path,
            title=header.fields["title"],
            question=header.fields["question"],
            text=text,
            parameters=tuple(header.params),
            view=header.fields.get("view", "table"),
        )
    return catalogue
