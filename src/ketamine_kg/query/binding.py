"""Parameters as SPARQL text: a term writer that cannot be misread, and the proof that a VALUES row
binds a named query's parameters exactly as substitution would.

The embedded store (for speed: pyoxigraph applies substitution only after evaluating the whole
pattern) and SPARQL servers (which have no other way) both take parameters as a one-row VALUES
block at the head of the WHERE clause, written here; nothing a user typed is pasted as text.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ketamine_kg.errors import QueryError, UsageError, one_line
from ketamine_kg.query.guard import TOKEN  # the guard's lexer, so the guard and the binder read a query alike
from ketamine_kg.query.results import Term
from ketamine_kg.rdf.prefixes import PREFIXES
from ketamine_kg.settings import settings

__all__ = ["bind_values", "check_prebinding", "checked_iri", "prebind", "sparql_term", "where_brace", "with_prefixes"]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_IRI_OK = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\\x7f]*$")
_LANG_OK = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


def sparql_term(term: Term) -> str:
    """``term`` as SPARQL text that cannot be read as anything but that one term.

    IRIs are validated, not escaped (an IRI with ``>`` or a space is refused). In literals every
    quote, backslash and line break is escaped, other control characters are written as
    ``\\UXXXXXXXX``, and a ``u`` after a backslash is written ``\\U00000075``, so servers that expand
    ``\\u`` escapes before parsing (as SPARQL allows) read the same string as those that do not. The
    eight-digit form leaves no doubt where an escape ends (rdflib reads ``\\u`` plus eight hex digits
    as one escape).

    >>> sparql_term(Term.literal('say "hi"\\n'))
    '"say \\\\"hi\\\\"\\\\n"'
    >>> sparql_term(Term.iri("https://w3id.org/ketamine-kg/resource/ketamine"))
    '<https://w3id.org/ketamine-kg/resource/ketamine>'

    :raises UsageError: for a blank node, an invalid IRI, language tag or a NUL character.

    Complexity 18 on purpose: one branch per term kind and per escape rule, kept in one function so that
    the whole escaping can be audited in one place.
    """
    if term.kind == "iri":
        return f"<{checked_iri(term.value)}>"
    if term.kind != "literal":
        raise UsageError("a blank node cannot be sent to a server as a parameter")
    out = []
    previous = ""
    for char in term.value:
        code = ord(char)
        if char == "\x00":
            raise UsageError("a parameter value contains a NUL character")
        if char == "\\":
            out.append("\\\\")
        elif char in "uU" and previous == "\\":
            out.append("\\U00000075" if char == "u" else "\\U00000055")
        elif char == '"':
            out.append('\\"')
        elif char in "\n\r\t\b\f":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}[char])
        elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\U{code:08X}")
        else:
            out.append(char)
        previous = char
    text = '"' + "".join(out) + '"'
    if term.language:
        if not _LANG_OK.match(term.language):
            raise UsageError(f"not a valid language tag: {term.language!r}")
        return f"{text}@{term.language}"
    if term.datatype and term.datatype not in (_XSD_STRING, _RDF_LANGSTRING):
        return f"{text}^^<{checked_iri(term.datatype)}>"
    return text


def checked_iri(value: str) -> str:
    if not _IRI_OK.match(value):
        raise UsageError(f"not a valid absolute IRI: {value!r}")
    return value


def _tokens(query: str) -> list[tuple[str, str, int, int]]:
    return [(m.lastgroup or "", m.group(), m.start(), m.end()) for m in TOKEN.finditer(query)]


def with_prefixes(query: str) -> str:
    """``query`` with a PREFIX line for every project prefix it uses without declaring.

    The embedded store supplies these prefixes itself; a server does not.
    """
    tokens = [t for t in _tokens(query) if t[0] not in ("comment",) and not t[1].isspace()]
    declared = {
        tokens[i + 1][1].rstrip(":").lower() + ":"
        for i, t in enumerate(tokens[:-1])
        if t[0] == "word" and t[1].upper() == "PREFIX"
    }
    missing = [p for p in PREFIXES if p.lower() + ":" not in declared]
    return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in missing) + query


def where_brace(query: str) -> int:
    """The offset just after the ``{`` that opens the query's top-level WHERE clause.

    :raises QueryError: if there is no explicit WHERE (parameters need one to go into).
    """
    depth, seen_form, seen_where = 0, False, False
    for kind, text, _start, end in _tokens(query):
        if kind == "word" and depth == 0:
            word = text.upper()
            if word in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE"):
                seen_form = True
            elif word == "WHERE" and seen_form:
                seen_where = True
        elif kind == "other" and text == "{":
            if seen_where and depth == 0:
                return end
            depth += 1
        elif kind == "other" and text == "}":
            depth -= 1
    raise QueryError("cannot send parameters to a server: the query needs an explicit 'WHERE { ... }' clause")


def check_prebinding(query: str, names: tuple[str, ...]) -> None:
    """Raise unless binding ``names`` by a leading ``VALUES`` provably gives the embedded store's answers.

    The proof (:func:`_prove`) needs rdflib, whose import and parser cost far more than answering a
    named query; its verdict depends on nothing but the query text, the names and the proof's own
    code, so it is kept in memory and in a small file under the user's cache folder
    (``$XDG_CACHE_HOME/ketamine-kg``), keyed by all three.

    :raises QueryError: naming the construct when the equivalence cannot be shown.
    """
    problem = _verdict(query, names)
    if problem:
        raise QueryError(problem)


@functools.lru_cache(maxsize=512)
def _verdict(query: str, names: tuple[str, ...]) -> str:
    """The reason binding by VALUES is not proven ("" when it is), from the cache file or the proof."""
    key = hashlib.sha256("\0".join((_PROOF_ID, query, *names)).encode("utf-8", "surrogatepass")).hexdigest()
    cache = _read_cache()
    if key in cache:
        return cache[key]
    try:
        _prove(query, names)
        problem = ""
    except QueryError as exc:
        problem = str(exc)
    cache[key] = problem
    _write_cache(cache)
    return problem


#: What the cached verdicts depend on besides the query and the names: this file's code (the proof).
_PROOF_ID = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
_CACHE_ENTRIES = 2_000


def _cache_file() -> Path:
    return settings().cache_dir / "prebinding-verdicts.json"


def _read_cache() -> dict[str, str]:
    try:
        data = json.loads(_cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return {}
    return data


def _write_cache(cache: dict[str, str]) -> None:
    """Best effort, atomic: a cache that cannot be written only costs the next run the proof."""
    path = _cache_file()
    entries = list(cache.items())[-_CACHE_ENTRIES:]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as out:
            json.dump(dict(entries), out)
        os.replace(out.name, path)
    except OSError:
        pass


def _prove(query: str, names: tuple[str, ...]) -> None:
    """Prove that binding ``names`` by a leading ``VALUES`` gives the embedded store's answers.

    The embedded store substitutes a bound term for its variable (pre-binding). Joining the
    WHERE pattern with a one-row ``VALUES`` gives the same solutions when, in the query's
    algebra (read by rdflib):

    - every pattern that mentions the variable certainly binds it (a triple pattern binds its
      variables; a join binds what either side binds; OPTIONAL and MINUS what their left side
      binds; UNION what every branch binds); so a FILTER, BIND or OPTIONAL condition that uses it
      always sees it bound, in both readings;
    - it is not in a subquery, an inline VALUES, the right side of MINUS, a GRAPH variable or
      the target of BIND (there, substitution and join differ);
    - where it ends a path that may have length zero (``p?``, ``p*``), the path's other end is
      also in a plain triple pattern of the same group (a zero-length path from a term that is
      not in the graph matches under substitution but not under a join; the plain triple
      removes that row in both readings).

    Under these conditions, by induction on the pattern, substitution's solutions are the
    join's solutions: every named query with parameters is of this shape (tests check it).

    :raises QueryError: naming the construct when the equivalence cannot be shown.
    """
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    try:
        prepared = prepareQuery(query, initNs=PREFIXES)
    except Exception as exc:  # rdflib raises assorted parser exceptions
        raise QueryError(f"cannot check the query for remote parameters: {one_line(str(exc), 160)}") from None
    root = prepared.algebra
    pattern = root.p
    while isinstance(pattern, CompValue) and pattern.name in ("Project", "Distinct", "Reduced", "Slice", "OrderBy"):
        pattern = pattern.p
    for name in names:
        var = Variable(name)
        problem = _forbidden(pattern, var, CompValue, Variable) or _prebinding_problem(
            pattern, var, CompValue, Variable
        )
        if problem is None and not _mentions(pattern, var, CompValue, Variable):
            problem = "the WHERE clause does not use it"
        if problem:
            raise QueryError(f"cannot bind ?{name} on a server the way the embedded store does: {problem}")


def _mentions(obj: Any, var: object, comp: Any, variable: Any) -> bool:
    if isinstance(obj, variable):
        return obj == var
    if isinstance(obj, comp):
        return any(_mentions(v, var, comp, variable) for k, v in obj.items() if k != "_vars")
    if isinstance(obj, dict):  # VALUES rows are dicts keyed by variable
        return any(_mentions(k, var, comp, variable) or _mentions(v, var, comp, variable) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return any(_mentions(v, var, comp, variable) for v in obj)
    return False


def _bound(node: Any, comp: Any, variable: Any) -> set[Any]:
    """Variables every solution of ``node`` binds.

    Complexity 16 on purpose: one case per SPARQL algebra operator, read as a table; split, the cases
    would be harder to check against the algebra.
    """
    if not isinstance(node, comp):
        return set()
    name = node.name
    if name == "BGP":
        return {t for triple in node.triples for t in triple if isinstance(t, variable)}
    if name == "Join":
        return _bound(node.p1, comp, variable) | _bound(node.p2, comp, variable)
    if name in ("LeftJoin", "Minus"):
        return _bound(node.p1, comp, variable)
    if name == "Union":
        return _bound(node.p1, comp, variable) & _bound(node.p2, comp, variable)
    if name in ("Filter", "Extend", "OrderBy", "AggregateJoin", "Distinct", "Reduced", "Slice"):
        return _bound(node.p, comp, variable)
    if name == "Graph":
        return _bound(node.p, comp, variable) | ({node.term} if isinstance(node.term, variable) else set())
    if name == "Group":
        keys = {e for e in (node.expr or []) if isinstance(e, variable)}
        return _bound(node.p, comp, variable) & keys
    return set()


def _may_be_empty(path: Any) -> bool:
    from rdflib.paths import AlternativePath, MulPath, SequencePath

    if isinstance(path, MulPath):
        return path.mod in ("*", "?") or _may_be_empty(path.path)
    if isinstance(path, SequencePath):
        return all(_may_be_empty(p) for p in path.args)
    if isinstance(path, AlternativePath):
        return any(_may_be_empty(p) for p in path.args)
    return False


def _differs_here(node: Any, var: object, comp: Any, variable: Any) -> str | None:
    """Why substitution and a join differ at ``node`` itself, whatever lies below it (or None)."""
    name = node.name
    if name == "ToMultiSet":
        return "it appears in a subquery or an inline VALUES block"
    if name == "Minus" and _mentions(node.p2, var, comp, variable):
        return "it appears on the right side of MINUS"
    if name == "Extend" and node.var == var:
        return "it is the target of BIND (or of a grouped SELECT expression)"
    if name == "Graph" and node.term == var:
        return "it names a GRAPH"
    return None


def _forbidden(node: Any, var: object, comp: Any, variable: Any) -> str | None:
    """The first construct anywhere under ``node`` where substitution and a join always differ."""
    if not isinstance(node, comp) or not _mentions(node, var, comp, variable):
        return None
    problem = _differs_here(node, var, comp, variable)
    if problem:
        return problem
    for key, child in node.items():
        if key != "_vars" and isinstance(child, comp):
            problem = _forbidden(child, var, comp, variable)
            if problem:
                return problem
    return None


def _prebinding_problem(node: Any, var: object, comp: Any, variable: Any) -> str | None:
    """Why binding ``var`` by a VALUES row at the head of the query could change the answers of ``node``
    (or None). Complexity 20 on purpose: one case per algebra operator that can make the difference, so
    the proof reads as one list of cases.
    """
    from rdflib.paths import Path as RdfPath

    if not isinstance(node, comp) or not _mentions(node, var, comp, variable):
        return None
    name = node.name
    problem = _differs_here(node, var, comp, variable)
    if problem:
        return problem
    if var not in _bound(node, comp, variable):
        return f"a {name} pattern uses it without always binding it (only inside OPTIONAL, FILTER or one UNION branch?)"
    if name == "BGP":
        plain = {t for s, p, o in node.triples if not isinstance(p, RdfPath) for t in (s, o)}
        for s, p, o in node.triples:
            if isinstance(p, RdfPath) and _may_be_empty(p) and var in (s, o):
                other = o if s == var else s
                if not (isinstance(other, variable) and other != var and other in plain):
                    return (
                        "it ends a path that may have length zero, and the other end is not in a plain triple pattern"
                    )
        return None
    children = {
        "Minus": ("p1",),
        "Join": ("p1", "p2"),
        "Union": ("p1", "p2"),
        "LeftJoin": ("p1", "p2"),
        "Filter": ("p",),
        "Extend": ("p",),
        "OrderBy": ("p",),
        "AggregateJoin": ("p",),
        "Group": ("p",),
        "Graph": ("p",),
        "Distinct": ("p",),
        "Reduced": ("p",),
        "Slice": ("p",),
    }
    if name not in children:
        return f"it appears in a {name} construct this check does not cover"
    for key in children[name]:
        problem = _prebinding_problem(node[key], var, comp, variable)
        if problem:
            return problem
    return None


def bind_values(query: str, bindings: dict[str, Term]) -> str:
    """``query`` with ``bindings`` as a one-row ``VALUES`` block at the head of its WHERE clause.

    The one way parameters become query text, for the embedded store, SPARQL servers and the
    benchmarks alike. Each term is written by :func:`sparql_term`; the row goes in only where
    :func:`check_prebinding` proves it gives substitution's answers.

    :raises UsageError: for a name that is not a SPARQL variable or a term that cannot be written safely.
    :raises QueryError: if the binding cannot be shown equivalent to substitution, or there is no WHERE.
    """
    names = tuple(sorted(bindings))
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise UsageError(f"not a SPARQL variable name: {name!r}")
    row = " ".join(sparql_term(bindings[n]) for n in names)
    check_prebinding(query, names)
    at = where_brace(query)
    values = f"\n  VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}\n"
    return query[:at] + values + query[at:]


def prebind(query: str, bindings: dict[str, Term] | None) -> str:
    """``query`` as sent to a server: undeclared project prefixes declared, ``bindings`` as VALUES.

    :raises QueryError: if a binding cannot be shown equivalent to the embedded store's.
    :raises UsageError: if a bound term cannot be written safely.
    """
    query = with_prefixes(query)
    return bind_values(query, bindings) if bindings else query
