"""Run named queries and user SPARQL with bound parameters and limits, in one place.

``ketamine-kg query`` starts its worker before it imports the catalogue, the binder and the
results (they are imported where used), so that the graph loads while it reads the question.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ketamine_kg.errors import UsageError, one_line
from ketamine_kg.layout import Layout, find_layout
from ketamine_kg.query.engine import Limits, QueryWorker

if TYPE_CHECKING:
    from ketamine_kg.query.catalogue import NamedQuery
    from ketamine_kg.query.results import QueryResult
    from ketamine_kg.query.worker import Worker

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
    from ketamine_kg.query.catalogue import load_catalogue

    catalogue = load_catalogue(layout.queries)
    if name not in catalogue:
        import difflib

        close = difflib.get_close_matches(name, list(catalogue), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; 'ketamine-kg queries' lists them"
        raise UsageError(f"no named query {name!r}{hint}")
    return catalogue[name]


def run_named(
    worker: Worker, query: NamedQuery, params: dict[str, str] | None = None, limits: Limits | None = None
) -> QueryResult:
    """Answer a named query: its parameters bound as RDF terms, defaults for the rest."""
    return worker.run(query.text, query.bindings(params), limits)


def run_text(worker: Worker, text: str, limits: Limits | None = None) -> QueryResult:
    """Answer SPARQL a user wrote, with the same checks and limits as the named queries."""
    return worker.run(text, None, limits)


#: What a value is matched against when it names nothing: labels and synonyms.
_NAMES = "<http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#altLabel>"


def check_values_exist(worker: Worker, query: NamedQuery, given: dict[str, str], limits: Limits | None = None) -> None:
    """Raise if a value the user gave for an IRI parameter names nothing (of the parameter's class) in the graph.

    Called when a named query answered nothing, so a typo (``drug=aspirin``) is told apart from a
    true empty answer; the error names the closest labels and ids (difflib).

    :raises UsageError: naming the parameter, the value and the closest candidates.
    """
    import difflib

    from ketamine_kg.query.binding import sparql_term
    from ketamine_kg.query.catalogue import expand
    from ketamine_kg.query.results import compact

    for param in query.parameters:
        if param.kind != "iri" or param.name not in given:
            continue
        iri = sparql_term(param.to_term(given[param.name]))
        cls = f"<{expand(param.choices_class)}>" if param.choices_class else None
        where = f"{iri} a {cls}" if cls else f"{{ {iri} ?p ?o }} UNION {{ ?s ?p {iri} }}"
        if worker.run(f"ASK {{ {where} }}", None, limits).boolean:
            continue
        members = f"?x a {cls} ; {_NAMES} ?label" if cls else f"?x {_NAMES} ?label"
        rows = worker.run(f"SELECT DISTINCT ?x ?label WHERE {{ {members} }}", None, limits).rows
        by_key: dict[str, str] = {}
        for x, label in rows:
            if x is not None and label is not None:
                short = compact(x)
                by_key.setdefault(label.value.lower(), short)
                by_key.setdefault(short.split(":", 1)[-1].lower(), short)
        typed = given[param.name].strip().lower().split(":", 1)[-1]
        close = list(dict.fromkeys(by_key[k] for k in difflib.get_close_matches(typed, list(by_key), n=6, cutoff=0.4)))[
            :3
        ]
        what = f"no {param.choices_class}" if cls else "nothing"
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise UsageError(f"--param {param.name}={given[param.name]}: names {what} in the graph{hint}")


def _read_query_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"query file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read query file {path}: {one_line(str(exc))}") from None


def _started_worker(graph: str | None, root: Path | None) -> QueryWorker | None:
    """The embedded worker, already loading the graph; None if the graph's place is not known yet.

    A layout that cannot be found is not reported here but where it was before (after a missing
    query file, for one), so starting early changes no message.
    """
    try:
        path = Path(graph) if graph else find_layout(root).graph_file("nt")
    except UsageError:
        return None
    return QueryWorker(path).start()


def run_query_cli(
    name: str | None,
    params: tuple[str, ...],
    query_file: Path | None,
    fmt: str,
    graph: str | None,
    timeout: float,
    max_rows: int,
    root: Path | None,
    endpoint: str | None = None,
) -> tuple[str, str | None]:
    """What ``ketamine-kg query`` prints: the rendered result, and a note for stderr if cut.

    ``graph`` is the graph file to load, or with ``endpoint`` (a SPARQL server) the named graph's IRI.
    """
    if (name is None) == (query_file is None):
        raise UsageError("give a query NAME or --file FILE.rq (not both)")
    limits = Limits(timeout=timeout, max_rows=max_rows)
    given = parse_params(params)
    early = None if endpoint is not None else _started_worker(graph, root)
    try:
        if name is not None:
            nq = named_query(find_layout(root), name)
            bindings, text = nq.bindings(given), nq.text
        else:
            if given:
                raise UsageError("--param goes with a named query; a --file query has no declared parameters")
            text, bindings = _read_query_file(query_file), None  # type: ignore[arg-type]
        worker: Worker
        if endpoint is not None:
            from ketamine_kg.query.remote import RemoteWorker

            worker = RemoteWorker(endpoint, graph)
        else:
            worker = early or QueryWorker(Path(graph) if graph else find_layout(root).graph_file("nt"))
        with worker:
            result = worker.run(text, bindings, limits)
            if name is not None and not result.rows and result.kind != "ask":
                check_values_exist(worker, nq, given, limits)
    finally:
        if early is not None:
            early.close()
    from ketamine_kg.query.results import render

    try:
        output = render(result, fmt)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    warning = getattr(result, "warning", None)  # a server that may have cut the answer silently
    if warning:
        return output, f"warning: {warning}"
    if result.truncated:
        return (
            output,
            f"note: results cut at {limits.max_rows:,} rows (--max-rows); narrow the query or raise the limit",
        )
    return output, None
