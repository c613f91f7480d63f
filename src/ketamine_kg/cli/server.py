"""The commands that run or talk to servers: load, serve, viewer.

Loaded by :class:`ketamine_kg.cli.main._LazyGroup` only when one of them runs (or for ``--help``),
so that ``query`` does not pay for defining them.
"""

from __future__ import annotations

from pathlib import Path

import click

from ketamine_kg.cli.main import ROOT_OPTION, CommandExit
from ketamine_kg.errors import UsageError
from ketamine_kg.rdf.iris import GRAPH_IRI

#: What the ``server`` extra installs for ``serve`` (the oxigraph binary is looked for separately).
_SERVER_EXTRA = frozenset({"uvicorn", "starlette", "anyio", "h11"})


@click.command("load")
@click.option(
    "--endpoint", required=True, metavar="URL", help="The server's SPARQL query endpoint (or an Oxigraph root URL)."
)
@click.option(
    "--graph",
    "graph_iri",
    default=None,
    metavar="IRI",
    help=f"Named graph to replace (default: {GRAPH_IRI}).",
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
    server's root or /query URL (/update and /store are derived); for Virtuoso its /sparql URL
    (its /sparql-graph-crud is used; a refusal names the GRANT to run, and the REVOKE after);
    for others, the query URL and, if they differ, --update-url and --gsp-url. 'ketamine-kg serve' is
    read-only and refuses loads: start a writable server of your own, e.g.
    'oxigraph serve --location DIR --bind 127.0.0.1:7879'.

    \b
    Examples:
      ketamine-kg load --endpoint http://127.0.0.1:7879
      ketamine-kg load --endpoint http://localhost:8890/sparql
      ketamine-kg load --endpoint http://localhost:3030/ds --graph https://example.org/kg --protocol update
    """
    from ketamine_kg.layout import find_layout
    from ketamine_kg.query.remote import DEFAULT_GRAPH, Endpoint
    from ketamine_kg.server.load import load_graph

    urls = Endpoint.parse(endpoint, update=update_url, gsp=gsp_url)
    report = load_graph(
        urls, graph_file or find_layout(root).graph_file("nt"), graph_iri or DEFAULT_GRAPH, protocol, timeout
    )
    click.echo(report.text(urls.query))


@click.command("serve")
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
    try:
        from ketamine_kg.server.process import serve
    except ModuleNotFoundError as exc:  # uvicorn or starlette: the viewer's install does not bring them
        if (exc.name or "").partition(".")[0] not in _SERVER_EXTRA:
            raise
        raise UsageError(
            f"serve needs the server extra ({exc.name} is missing): python -m pip install -e '.[server]'"
        ) from None

    raise CommandExit(serve(root, host, port, timeout_s, location), "the server stopped with an error")


@click.command("viewer")
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
    from ketamine_kg.viewer.serve import run_viewer

    if endpoint is not None:
        from ketamine_kg.query.remote import Endpoint

        Endpoint.parse(endpoint)  # a bad URL fails here, not in the browser

    raise CommandExit(run_viewer(root, host, port, endpoint), "the viewer stopped with an error")
