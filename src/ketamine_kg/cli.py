"""The ``ketamine-kg`` command line: build, validate, list and run the named queries.

Every command is a thin wrapper around a function the tests and the viewer call directly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import KetamineKGError, UsageError, error_line, one_line

__all__ = ["cli", "main"]

#: Exit codes, documented in the README and in ``ketamine-kg --help``.
EXIT_CODES = {
    0: "success",
    1: "unexpected failure",
    2: "usage: unknown query, bad parameter or option, a parameter value that names nothing in the graph, "
    "unreadable file",
    3: "curated data breaks a rule",
    4: "validation found violations (or build --check found stale files)",
    5: "malformed SPARQL or query failure",
    6: "query refused (update, LOAD or SERVICE)",
    7: "query stopped at its time limit",
    8: "remote endpoint unreachable or failing",
    9: "reasoner unavailable (Java missing)",
    130: "interrupted",
}

ROOT_OPTION = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The ketamine-kg checkout (default: found from the working directory, or $KETAMINE_KG_ROOT).",
)
TIMEOUT_OPTION = click.option(
    "--timeout", type=float, default=30.0, show_default=True, help="Stop the query after this many seconds."
)
MAX_ROWS_OPTION = click.option(
    "--max-rows", type=int, default=10_000, show_default=True, help="Return at most this many rows; say so when cut."
)


def _epilog() -> str:
    return "Exit codes:\n\n" + "\n\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())


class _LazyGroup(click.Group):
    """Commands whose modules load heavy libraries are imported when they run, not at start-up
    (click's documented lazy-subcommand pattern): every other command keeps its fast path."""

    lazy = {"pool": ("ketamine_kg.pool_cli", "pool_command")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            import importlib

            module, attr = self.lazy[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_LazyGroup, epilog=_epilog(), context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="ketamine-kg")
def cli() -> None:
    """ketamine-kg: a cited, evidence-graded knowledge graph of ketamine, esketamine and
    arketamine in mental illness and addiction. A research and education resource, not medical
    advice.

    \b
    Examples:
      ketamine-kg queries
      ketamine-kg query approved-uses
      ketamine-kg query risks-of-drug --param drug=ketamine --format markdown
      ketamine-kg pool --measure odds-ratio --outcome abstinence --method dl
      ketamine-kg validate
    """


@cli.command()
@ROOT_OPTION
@click.option("--check", is_flag=True, help="Write nothing; exit 4 if a generated file is out of date.")
def build(root: Path | None, check: bool) -> None:
    """Compile graph/curated/*.yaml and the ontology into the graph files.

    Writes ontology/ketamine.{owl,ttl} and graph/ketamine-kg.{nt,ttl,owl,jsonld}, byte-identical
    on every run. Every file is made before any is written, and each is written beside its target
    and renamed into place, so a failed build leaves the previous files intact.

    \b
    Examples:
      ketamine-kg build
      ketamine-kg build --check
    """
    from .build import build as run_build
    from .layout import find_layout

    result = run_build(find_layout(root), check=check)
    for path in result.written:
        click.echo(f"wrote {path}")
    for path in result.stale:
        click.echo(f"out of date: {path}")
    click.echo(
        f"{len(result.full):,} triples ({len(result.asserted):,} curated, {len(result.inferred):,} inferred, "
        f"{len(result.tbox):,} ontology); {len(result.unchanged)} file(s) unchanged"
    )
    if result.stale:
        raise _Exit(4, f"{len(result.stale)} generated file(s) out of date; run 'ketamine-kg build'")


@cli.command()
@ROOT_OPTION
@click.option("--write", is_flag=True, help="Rewrite the generated files that are out of date.")
def schema(root: Path | None, write: bool) -> None:
    """Regenerate what derives from the curated-data schema, ontology/ketamine-kg.schema.yaml.

    The loader's models, the plain-data schema the build reads, the SHACL shapes, the JSON Schema
    for editors and the data dictionary. Needs LinkML (pip install -e '.[test]'); the build does
    not. Without --write, writes nothing and exits 4 if a generated file is out of date.

    \b
    Examples:
      ketamine-kg schema
      ketamine-kg schema --write
    """
    from .layout import find_layout
    from .schema_gen import regenerate

    changed = regenerate(find_layout(root), write=write)
    for path in changed:
        click.echo(f"{'wrote' if write else 'out of date'}: {path}")
    if not changed:
        click.echo("every generated file is up to date")
    elif not write:
        raise _Exit(4, f"{len(changed)} generated file(s) out of date; run 'ketamine-kg schema --write'")


@cli.command()
@ROOT_OPTION
@click.option(
    "--file",
    "graph_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Validate this RDF file instead of the project's graph.",
)
@click.option("--no-reasoner", is_flag=True, help="Skip the HermiT consistency check (no Java needed).")
def validate(root: Path | None, graph_file: Path | None, no_reasoner: bool) -> None:
    """Run the SHACL shapes, HermiT and the SPARQL checks; print a report.

    Exits 0 when everything passes and 4 on any violation, naming each offending record.

    \b
    Examples:
      ketamine-kg validate
      ketamine-kg validate --file my-extension.ttl
    """
    from .layout import find_layout
    from .validate import validate as run_validate

    if graph_file is not None and not graph_file.is_file():
        raise UsageError(f"file not found: {graph_file}")
    report = run_validate(find_layout(root), graph_file, reasoner=not no_reasoner)
    click.echo(report.text())
    if not report.ok:
        raise _Exit(4, f"validation failed: {len(report.findings)} violation(s)")


@cli.command("queries")
@ROOT_OPTION
def list_queries(root: Path | None) -> None:
    """List the named queries with their questions and parameters.

    \b
    Example:
      ketamine-kg queries
    """
    from .catalogue import load_catalogue
    from .layout import find_layout

    for q in load_catalogue(find_layout(root).queries).values():
        click.echo(f"{q.name}\n    {q.question}")
        for p in q.parameters:
            click.echo(f"    --param {p.name}=<{p.kind}>  {p.description} (default: {p.default})")


@cli.command()
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="Bind a parameter (repeatable).")
@click.option(
    "--file",
    "query_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Run the SPARQL in this file.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "markdown", "ntriples"]),
    default="table",
    show_default=True,
)
@click.option(
    "--graph",
    "graph_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Query this N-Triples/Turtle file instead of graph/ketamine-kg.nt; with --endpoint, the named "
    "graph IRI (default: the one 'load' writes; 'default' for the server's default graph).",
)
@click.option(
    "--endpoint",
    default=None,
    metavar="URL",
    help="Send the query to this SPARQL server (SPARQL 1.1 Protocol) instead of the embedded store.",
)
@TIMEOUT_OPTION
@MAX_ROWS_OPTION
@ROOT_OPTION
def query(
    name: str | None,
    params: tuple[str, ...],
    query_file: Path | None,
    fmt: str,
    graph_file: str | None,
    endpoint: str | None,
    timeout: float,
    max_rows: int,
    root: Path | None,
) -> None:
    """Run a named query, or any SPARQL file, on the embedded store (or a server with --endpoint).

    Parameters are bound as RDF terms, never pasted into the query. Queries are read-only
    (updates, LOAD and SERVICE are refused), stopped at --timeout and cut at --max-rows.

    \b
    Examples:
      ketamine-kg query approved-uses
      ketamine-kg query alternatives-for-condition --param condition=post-traumatic-stress-disorder
      ketamine-kg query entity-neighbourhood -p entity=kkr:ketamine --format ntriples
      ketamine-kg query --file my-question.rq --format csv
      ketamine-kg query risks-of-drug -p drug=ketamine --endpoint http://127.0.0.1:7878/query
    """
    from .queries import run_query_cli

    output, note = run_query_cli(name, params, query_file, fmt, graph_file, timeout, max_rows, root, endpoint)
    click.echo(output)
    if note:
        click.echo(note, err=True)


@cli.command("load")
@click.option(
    "--endpoint", required=True, metavar="URL", help="The server's SPARQL query endpoint (or an Oxigraph root URL)."
)
@click.option(
    "--graph",
    "graph_iri",
    default=None,
    metavar="IRI",
    help="Named graph to replace (default: https://w3id.org/ketamine-kg/graph).",
)
@click.option(
    "--protocol",
    type=click.Choice(["gsp", "update"]),
    default="gsp",
    show_default=True,
    help="Upload by Graph Store Protocol PUT, or by one SPARQL INSERT DATA.",
)
@click.option("--gsp-url", default=None, metavar="URL", help="Graph Store endpoint, if not derived from --endpoint.")
@click.option(
    "--update-url", default=None, metavar="URL", help="SPARQL Update endpoint, if not derived from --endpoint."
)
@click.option(
    "--file",
    "graph_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Load this N-Triples/Turtle file instead of graph/ketamine-kg.nt.",
)
@click.option(
    "--timeout",
    type=float,
    default=300.0,
    show_default=True,
    help="Give up on any one request after this many seconds.",
)
@ROOT_OPTION
def load_command(
    endpoint: str,
    graph_iri: str | None,
    protocol: str,
    gsp_url: str | None,
    update_url: str | None,
    graph_file: Path | None,
    timeout: float,
    root: Path | None,
) -> None:
    """Load the built graph into a named graph on a SPARQL server, replacing it; verify by count.

    The file goes into a staging graph first, is counted, then moved over the target in one
    update, and the target is counted again; a failed or short load exits 8 and leaves no
    partial graph in place of the target. Loading twice leaves one copy. For Oxigraph give the
    server's root or /query URL (/update and /store are derived); for others, the query URL and,
    if they differ, --update-url and --gsp-url.

    \b
    Examples:
      ketamine-kg load --endpoint http://127.0.0.1:7878
      ketamine-kg load --endpoint http://localhost:3030/ds --graph https://example.org/kg --protocol update
    """
    from .layout import find_layout
    from .remote import DEFAULT_GRAPH, Endpoint
    from .remote_load import load_graph

    urls = Endpoint.parse(endpoint, update=update_url, gsp=gsp_url)
    report = load_graph(
        urls, graph_file or find_layout(root).graph_file("nt"), graph_iri or DEFAULT_GRAPH, protocol, timeout
    )
    click.echo(report.text(urls.query))


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=7878, show_default=True)
@click.option(
    "--timeout-s", type=float, default=30.0, show_default=True, help="Stop each query after this many seconds."
)
@click.option(
    "--location",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the server's store in this folder (reused while the graph is unchanged); default: a temporary one.",
)
@ROOT_OPTION
def serve_command(host: str, port: int, timeout_s: float, location: Path | None, root: Path | None) -> None:
    """Serve the graph read-only over SPARQL (an Oxigraph server behind a guard) until Ctrl-C.

    Queries go to http://HOST:PORT/query (SPARQL 1.1 Protocol, GET or POST); updates, LOAD and
    SERVICE are refused with HTTP 400 before the server sees them.

    \b
    Examples:
      ketamine-kg serve
      ketamine-kg serve --port 7900 --timeout-s 10 --location ~/.cache/ketamine-kg-store
      ketamine-kg query approved-uses --endpoint http://127.0.0.1:7878/query
    """
    from .server import serve

    raise _Exit(serve(root, host, port, timeout_s, location), "the server stopped with an error")


@cli.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@ROOT_OPTION
def diff_command(old: str, new: str, fmt: str, root: Path | None) -> None:
    """List the claims added, removed and changed between two versions of the graph.

    Compares by record, not by triple: each changed therapeutic-use claim with the fields that
    changed (drug, condition, evidence level, status, sources...) old -> new; then counts and ids
    for sources, approvals, adverse-effect associations and alternatives, and the triple counts.
    OLD and NEW are graph files (.nt, .ttl, .owl, .jsonld) or git:REF, meaning
    graph/ketamine-kg.nt at that git revision (git:REF:PATH for another file), or "empty".

    \b
    Examples:
      ketamine-kg diff git:HEAD graph/ketamine-kg.nt
      ketamine-kg diff graph/releases/v0.1.0.nt graph/ketamine-kg.nt --format markdown
      ketamine-kg diff empty graph/ketamine-kg.nt --format markdown
      ketamine-kg diff old/ketamine-kg.ttl graph/ketamine-kg.jsonld --format json
    """
    from .diff import diff_cli

    click.echo(diff_cli(old, new, fmt, root))


@cli.command("export")
@click.option(
    "--format",
    "fmt",
    required=True,
    metavar="FORMAT",
    help="turtle, ntriples, rdfxml, jsonld, trig, nquads, graphml, gexf, neo4j (folder) or kgx (folder).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="File to write (folder for neo4j and kgx); default: standard output.",
)
@ROOT_OPTION
def export_command(fmt: str, output: Path | None, root: Path | None) -> None:
    """Export the graph for other tools: RDF, RDF with named graphs, or a property graph.

    trig and nquads keep provenance in three named graphs (ontology, curated, inferred); graphml,
    gexf, neo4j and kgx turn claims into nodes plus direct drug -> condition edges that carry the
    evidence level, status, direction and sources. The same bytes on every run; files are written
    beside the target and renamed into place. An existing --output folder must be empty or hold
    only an earlier export of the same format.

    \b
    Examples:
      ketamine-kg export --format trig --output ketamine-kg.trig
      ketamine-kg export --format rdfxml > ketamine-kg.owl
      ketamine-kg export --format graphml -o ketamine-kg.graphml
      ketamine-kg export --format neo4j --output neo4j-import/
      ketamine-kg export --format kgx --output kgx/
    """
    from .export import export as run_export
    from .layout import find_layout

    result = run_export(find_layout(root), fmt, output)
    if result.data is not None:
        click.get_binary_stream("stdout").write(result.data)
    for path in result.written:
        click.echo(f"wrote {path}")


@cli.command()
@ROOT_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True)
@click.option("--endpoint", default=None, metavar="URL", help="Explore a SPARQL server instead of the embedded store.")
def viewer(root: Path | None, host: str, port: int, endpoint: str | None) -> None:
    """Start the Streamlit explorer on the embedded store (building the graph first if missing).

    \b
    Examples:
      ketamine-kg viewer
      ketamine-kg viewer --port 8600
      ketamine-kg viewer --endpoint http://127.0.0.1:7878/query
    """
    from .viewer.serve import run_viewer

    if endpoint is not None:
        from .remote import Endpoint

        Endpoint.parse(endpoint)  # a bad URL fails here, not in the browser

    raise _Exit(run_viewer(root, host, port, endpoint), "the viewer stopped with an error")


class _Exit(KetamineKGError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = code


def _fail(message: object, code: int) -> int:
    click.echo(error_line(message), err=True)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; failures print one line on stderr and return their documented exit code (see EXIT_CODES)."""
    try:
        cli.main(args=argv, prog_name="ketamine-kg", standalone_mode=False)
        return 0
    except KetamineKGError as exc:  # _Exit included: a command that ran and found problems (or ended well: 0)
        return _fail(exc, exc.exit_code) if exc.exit_code else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:  # bad options, missing arguments
        return _fail(exc.format_message(), UsageError.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug, not the user's mistake: still one line, and a way to report it
        where = one_line(f"{type(exc).__name__}: {exc}", 300)
        return _fail(f"unexpected failure ({where}); please report it with the command you ran", 1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
