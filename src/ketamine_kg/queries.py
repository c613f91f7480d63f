"""Run named queries and user SPARQL with bound parameters and limits, in one place."""

from __future__ import annotations

from pathlib import Path

from .catalogue import NamedQuery, load_catalogue
from .engine import Limits, QueryWorker
from .errors import UsageError
from .layout import Layout, find_layout
from .results import QueryResult, render
from .worker import Worker

__all__ = ["parse_params", "run_named", "run_query_cli", "run_text"]


def parse_params(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``["drug=ketamine"]`` -> ``{"drug": "ketamine"}``.

    :raises UsageError: for an item without ``=`` or a repeated name.
    """
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--param takes NAME=VALUE, got {pair!r}")
        if name in params:
            raise UsageError(f"parameter {name!r} given twice")
        params[name] = value
    return params


def named_query(layout: Layout, name: str) -> NamedQuery:
    """:raises UsageError: naming the closest known queries when ``name`` is unknown."""
    catalogue = load_catalogue(layout.queries)
    if name not in catalogue:
        import difflib

        close = difflib.get_close_matches(name, list(catalogue), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; 'ketamine-kg queries' lists them"
        raise UsageError(f"no named query {name!r}{hint}")
    return catalogue[name]


def run_named(worker: Worker, query: NamedQuery, params: dict[str, str] | None = None,
              limits: Limits | None = None) -> QueryResult:
    """Answer a named query: its parameters bound as RDF terms, defaults for the rest."""
    return worker.run(query.text, query.bindings(params), limits)


def run_text(worker: Worker, text: str, limits: Limits | None = None) -> QueryResult:
    """Answer SPARQL a user wrote, with the same checks and limits as the named queries."""
    return worker.run(text, None, limits)


def _read_query_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"query file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read query file {path}: {' '.join(str(exc).split())}") from None


def run_query_cli(name: str | None, params: tuple[str, ...], query_file: Path | None, fmt: str,
                  graph: str | None, timeout: float, max_rows: int, root: Path | None,
                  endpoint: str | None = None) -> tuple[str, str | None]:
    """What ``ketamine-kg query`` prints: the rendered result, and a note for stderr if cut.

    ``graph`` is the graph file to load, or with ``endpoint`` (a SPARQL server) the named graph's IRI.
    """
    if (name is None) == (query_file is None):
        raise UsageError("give a query NAME or --file FILE.rq (not both)")
    limits = Limits(timeout=timeout, max_rows=max_rows)
    given = parse_params(params)
    if name is not None:
        nq = named_query(find_layout(root), name)
        bindings, text = nq.bindings(given), nq.text
    else:
        if given:
            raise UsageError("--param goes with a named query; a --file query has no declared parameters")
        text, bindings = _read_query_file(query_file), None  # type: ignore[arg-type]
    if endpoint is not None:
        from .remote import RemoteWorker

        result = RemoteWorker(endpoint, graph).run(text, bindings, limits)
    else:
        with QueryWorker(Path(graph) if graph else find_layout(root).graph_file("nt")) as worker:
            result = worker.run(text, bindings, limits)
    try:
        output = render(result, fmt)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    warning = getattr(result, "warning", None)  # a server that may have cut the answer silently
    if warning:
        return output, f"warning: {warning}"
    if result.truncated:
        return output, f"note: results cut at {limits.max_rows:,} rows (--max-rows); narrow the query or raise the limit"
    return output, None
