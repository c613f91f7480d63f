"""The commands that make, check, compare and export the graph files: build, schema, validate, diff, export.

Loaded by :class:`ketamine_kg.cli.main._LazyGroup` only when one of them runs (or for ``--help``),
so that ``query`` does not pay for defining them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ketamine_kg.cli.main import ROOT_OPTION, CommandExit
from ketamine_kg.errors import UsageError


@click.command("build")
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
    from ketamine_kg.build.pipeline import build as run_build
    from ketamine_kg.layout import find_layout

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
        raise CommandExit(4, f"{len(result.stale)} generated file(s) out of date; run 'ketamine-kg build'")


@click.command("schema")
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
    from ketamine_kg.layout import find_layout
    from ketamine_kg.schema.generate import regenerate

    changed = regenerate(find_layout(root), write=write)
    for path in changed:
        click.echo(f"{'wrote' if write else 'out of date'}: {path}")
    if not changed:
        click.echo("every generated file is up to date")
    elif not write:
        raise CommandExit(4, f"{len(changed)} generated file(s) out of date; run 'ketamine-kg schema --write'")


@click.command("validate")
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
    from ketamine_kg.build.validate import validate as run_validate
    from ketamine_kg.layout import find_layout

    if graph_file is not None and not graph_file.is_file():
        raise UsageError(f"file not found: {graph_file}")
    report = run_validate(find_layout(root), graph_file, reasoner=not no_reasoner)
    click.echo(report.text())
    if not report.ok:
        raise CommandExit(4, f"validation failed: {len(report.findings)} violation(s)")


@click.command("diff")
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
    from ketamine_kg.diff.render import diff_cli

    click.echo(diff_cli(old, new, fmt, root))


@click.command("export")
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

    trig and nquads keep provenance in three named graphs (ontology, asserted, inferred); graphml,
    gexf, neo4j and kgx turn claims into nodes plus direct drug -> condition edges that carry the
    evidence level, status, direction and sources. The same bytes on every run; files are written
    beside the target and renamed into place. An existing --output folder must be empty or hold
    only an earlier export of the same format.

    \b
    Examples:
      ketamine-kg export --format trig --output /tmp/ketamine-kg.trig
      ketamine-kg export --format rdfxml > /tmp/ketamine-kg.owl
      ketamine-kg export --format graphml -o /tmp/ketamine-kg.graphml
      ketamine-kg export --format neo4j --output /tmp/neo4j-import/
      ketamine-kg export --format kgx --output /tmp/kgx/
    """
    from ketamine_kg.export.writer import export as run_export
    from ketamine_kg.layout import find_layout

    result = run_export(find_layout(root), fmt, output)
    if result.data is not None:
        sys.stdout.flush()  # what click.echo wrote so far, before the bytes (click's get_binary_stream is deprecated)
        sys.stdout.buffer.write(result.data)
        sys.stdout.buffer.flush()
    for path in result.written:
        click.echo(f"wrote {path}")
