"""Refuse SPARQL that could write, load or call out, before any engine sees it.

Every engine here (rdflib, pyoxigraph, an Oxigraph server) will execute ``SERVICE`` against any
URL, and rdflib reads ``FROM <file://...>``; so user queries are scanned first. The scan is
lexical: it skips strings, IRIs and comments, so a keyword inside a literal never trips it, and a
keyword outside one is never missed.
"""

from __future__ import annotations

import re

from ketamine_kg.errors import QueryRefused, UsageError

__all__ = ["MAX_QUERY_CHARS", "check_read_only", "keywords"]

#: Longer query texts are refused outright; the named queries are all under 4,000 characters.
MAX_QUERY_CHARS = 100_000

_UPDATE = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\n]*)
    | (?P<long>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
    | (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
    | (?P<pname>[A-Za-z_][\w.\-]*:[\w.\-:%]*|:[\w.\-:%]*)
    | (?P<word>[A-Za-z_]+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def keywords(query: str) -> list[str]:
    """The bare words of ``query`` in upper case, outside strings, IRIs, comments and names.

    >>> keywords('SELECT * WHERE { ?s ?p "SERVICE" } # SERVICE')
    ['SELECT', 'WHERE']
    """
    return [m.group("word").upper() for m in TOKEN.finditer(query) if m.lastgroup == "word"]


def check_read_only(query: str) -> None:
    """Raise unless ``query`` is a plain read-only query.

    >>> check_read_only("SELECT * WHERE { ?s ?p ?o }")
    >>> check_read_only("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }")
    Traceback (most recent call last):
    ...
    ketamine_kg.errors.QueryRefused: SERVICE (federated query) is refused: queries run only on the local graph

    :raises QueryRefused: for updates (INSERT, DELETE, LOAD, CLEAR, DROP...) and SERVICE calls.
    :raises UsageError: for an empty or oversized query text.
    """
    if not query.strip():
        raise UsageError("the query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise UsageError(f"the query is {len(query):,} characters; the limit is {MAX_QUERY_CHARS:,}")
    if "\x00" in query:
        raise UsageError("the query contains a NUL character")
    words = keywords(query)
    if "SERVICE" in words:
        raise QueryRefused("SERVICE (federated query) is refused: queries run only on the local graph")
    updates = sorted(set(words) & _UPDATE)
    if updates:
        raise QueryRefused(f"updates are refused ({', '.join(updates)}): queries are read-only")
