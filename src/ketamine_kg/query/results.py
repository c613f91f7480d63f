"""Query results as plain Python values, and their renderings: table, CSV, JSON, Markdown, N-Triples.

The standard formats (SPARQL 1.1 Query Results JSON and CSV, N-Triples) are written by
pyoxigraph; the human ones (table, Markdown) here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pyoxigraph as ox

from ketamine_kg.rdf.prefixes import compact_iri

__all__ = ["FORMATS", "QueryResult", "ResultKind", "Term", "compact", "from_ox", "render", "to_ox"]

#: What a query returned: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT, DESCRIBE).
ResultKind = Literal["select", "ask", "graph"]

#: Output formats the CLI offers.
FORMATS = ("table", "csv", "json", "markdown", "ntriples")


@dataclass(frozen=True)
class Term:
    """An RDF term, independent of the engine that produced it (so it crosses process boundaries)."""

    kind: Literal["iri", "literal", "bnode"]
    value: str
    datatype: str | None = None
    language: str | None = None

    @classmethod
    def iri(cls, value: str) -> Term:
        return cls("iri", value)

    @classmethod
    def literal(cls, value: str, datatype: str | None = None, language: str | None = None) -> Term:
        return cls("literal", value, datatype, language)


def to_ox(term: Term) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    if term.kind == "iri":
        return ox.NamedNode(term.value)
    if term.kind == "bnode":
        return ox.BlankNode(term.value)
    if term.language:
        return ox.Literal(term.value, language=term.language)
    return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype) if term.datatype else None)


def from_ox(term: Any) -> Term | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return Term.iri(term.value)
    if isinstance(term, ox.BlankNode):
        return Term("bnode", term.value)
    if isinstance(term, ox.Literal):
        return Term.literal(term.value, term.datatype.value if term.datatype else None, term.language)
    return Term.literal(str(term))  # RDF-star triple terms, shown as text


def compact(term: Term | None) -> str:
    """A short human form: CURIEs for known namespaces, bare text for literals.

    >>> compact(Term.iri("https://w3id.org/ketamine-kg/resource/ketamine"))
    'kkr:ketamine'
    """
    if term is None:
        return ""
    if term.kind == "iri":
        return compact_iri(term.value)
    if term.kind == "bnode":
        return f"_:{term.value}"
    return term.value


@dataclass
class QueryResult:
    """What a query returned, with how it was cut."""

    kind: ResultKind
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    truncated: bool = False
    max_rows: int | None = None
    elapsed_ms: float = 0.0

    @property
    def triples(self) -> list[tuple[Term, Term, Term]]:
        """For a graph result, the rows are (subject, predicate, object)."""
        return [row for row in self.rows if all(row)]  # type: ignore[misc]

    def records(self) -> list[dict[str, str]]:
        """Rows as dicts of compact strings, for tests and the viewer."""
        return [
            {v: compact(t) for v, t in zip(self.variables, row, strict=False) if t is not None} for row in self.rows
        ]

    def column(self, name: str) -> list[str]:
        index = self.variables.index(name)
        return [compact(row[index]) for row in self.rows]


def _table(result: QueryResult) -> str:
    if result.kind == "ask":
        return "true" if result.boolean else "false"
    headers = result.variables
    cells = [[compact(t) for t in row] for row in result.rows]
    widths = [max([len(h)] + [min(len(r[i]), 80) for r in cells]) for i, h in enumerate(headers)]

    def clip(text: str, width: int) -> str:
        text = " ".join(text.split())
        return text if len(text) <= width else text[: width - 1] + "…"

    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(clip(c, w).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines)


def _markdown(result: QueryResult) -> str:
    if result.kind == "ask":
        return "true" if result.boolean else "false"

    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    lines = ["| " + " | ".join(result.variables) + " |", "|" + "---|" * len(result.variables)]
    for row in result.rows:
        lines.append("| " + " | ".join(cell(compact(t)) for t in row) + " |")
    return "\n".join(lines)


def _ox_results(result: QueryResult) -> ox.QuerySolutions | ox.QueryBoolean:
    """``result`` as pyoxigraph query results, for pyoxigraph's writers of the standard formats.

    pyoxigraph builds them only by querying or by parsing, so the rows go in as SPARQL TSV: its
    cells are terms in N-Triples syntax, each written by pyoxigraph itself (``str`` of the term).
    """
    if result.kind == "ask":
        text = "true" if result.boolean else "false"
    else:
        lines = ["\t".join(f"?{v}" for v in result.variables)]
        lines += ["\t".join("" if t is None else str(to_ox(t)) for t in row) for row in result.rows]
        text = "\n".join(lines) + "\n"
    return ox.parse_query_results(text, format=ox.QueryResultsFormat.TSV)


def _csv(result: QueryResult) -> str:
    """SPARQL 1.1 CSV: every record, the last one included, ends in CRLF (RFC 4180), whatever the
    query form, so the embedded store's answer is byte for byte a SPARQL server's."""
    if result.kind == "ask":  # SPARQL's CSV format has no booleans: a header and a value
        return "boolean\r\n" + ("true" if result.boolean else "false") + "\r\n"
    data = _ox_results(result).serialize(format=ox.QueryResultsFormat.CSV) or b""
    return data.decode("utf-8")


def _json(result: QueryResult) -> str:
    data = _ox_results(result).serialize(format=ox.QueryResultsFormat.JSON) or b"{}"
    # Indented as it always was (one key per line reads and diffs better than pyoxigraph's one line).
    return json.dumps(json.loads(data), indent=1, ensure_ascii=False)


def _ntriples(result: QueryResult) -> str:
    if result.kind == "graph":
        triples = [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in result.triples]  # type: ignore[arg-type]
        text = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
        return "\n".join(sorted(line for line in text.splitlines() if line))
    raise ValueError("ntriples is for CONSTRUCT and DESCRIBE results; use table, csv, json or markdown")


def render(result: QueryResult, fmt: str) -> str:
    """``result`` in ``fmt`` (one of :data:`FORMATS`).

    :raises ValueError: for an unknown format, or ntriples for a SELECT or ASK result.
    """
    renderers = {"table": _table, "csv": _csv, "json": _json, "markdown": _markdown, "ntriples": _ntriples}
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    return renderers[fmt](result)
