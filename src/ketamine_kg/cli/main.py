"""The ``ketamine-kg`` command line: the group, its exit codes, and the commands on the query path.

Every command is a thin wrapper around a function the tests and the viewer call directly. Only
``query`` and ``queries`` are defined here; the others live in :mod:`ketamine_kg.cli.graph`,
:mod:`ketamine_kg.cli.server` and :mod:`ketamine_kg.cli.pool`, imported when they run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ketamine_kg import __version__
from ketamine_kg.errors import KetamineKGError, UsageError, error_line, one_line

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
    """Commands defined in other modules are imported when they run (or for --help), not at start-up
    (click's documented lazy-subcommand pattern): a query does not pay for defining them."""

    lazy = {
        "build": ("ketamine_kg.cli.graph", "build"),
        "schema": ("ketamine_kg.cli.graph", "schema"),
        "validate": ("ketamine_kg.cli.graph", "validate"),
        "diff": ("ketamine_kg.cli.graph", "diff_command"),
        "export": ("ketamine_kg.cli.graph", "export_command"),
        "load": ("ketamine_kg.cli.server", "load_command"),
        "serve": ("ketamine_kg.cli.server", "serve_command"),
        "viewer": ("ketamine_kg.cli.server", "viewer"),
        "pool": ("ketamine_kg.cli.pool", "pool_command"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            import importlib

            module, attr = self.lazy[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command's first sentence in full, wrapped, where click would cut it mid-sentence to
        one line with "..." (its summaries are limited to the terminal's width)."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


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


@cli.command("queries")
@ROOT_OPTION
def list_queries(root: Path | None) -> None:
    """List the named queries with their questions and parameters.

    \b
    Example:
      ketamine-kg queries
    """
    from ketamine_kg.layout import find_layout
    from ketamine_kg.query.catalogue import load_catalogue

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
    from ketamine_kg.query.run import run_query_cli

    output, note = run_query_cli(name, params, query_file, fmt, graph_file, timeout, max_rows, root, endpoint)
    click.echo(output, nl=not output.endswith("\n"))  # CSV's records already end in CRLF
    if note:
        click.echo(note, err=True)


class CommandExit(KetamineKGError):
    """A command that ran and ends with this exit code (4: problems found; 0: ended well)."""

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
    except KetamineKGError as exc:  # CommandExit included: a command that ran and found problems (or ended well: 0)
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
