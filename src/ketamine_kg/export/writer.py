"""Export the built graph for other tools: RDF (provenance in named graphs) and property graphs.

RDF formats: ``turtle``, ``ntriples``, ``rdfxml`` (OWL, for Protégé) and ``jsonld`` write the full
graph exactly as ``ketamine-kg build`` does; ``trig`` and ``nquads`` split it into the three named
graphs the build wrote (ontology, asserted, inferred: see :mod:`export_rdf`). The property-graph
formats (``graphml``, ``gexf``, ``neo4j``, ``kgx``) share one model (:mod:`export_property_graph`),
written by :mod:`export_formats`.

Every export is byte-identical on every run, and written beside its target and renamed into place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from rdflib import Graph

from ketamine_kg.build.graphs import GRAPH_IRIS, ProvenanceSplit, split_provenance, trig_bytes
from ketamine_kg.errors import UsageError
from ketamine_kg.export.formats import WRITERS
from ketamine_kg.export.property_graph import INFORES, property_graph
from ketamine_kg.layout import GRAPH_FILES, NAMED_GRAPHS_FILE, Layout

__all__ = [
    "FORMATS",
    "GRAPH_IRIS",
    "INFORES",
    "MULTI_FILE_FORMATS",
    "ExportResult",
    "ProvenanceSplit",
    "export",
    "export_bytes",
    "export_files",
    "property_graph",
    "split_provenance",
]

#: Format name -> what it is, for ``--help`` and the error on an unknown name.
FORMATS: dict[str, str] = {
    "turtle": "RDF Turtle, the full graph",
    "ntriples": "RDF N-Triples, the full graph",
    "rdfxml": "RDF/XML (OWL), the full graph; opens in Protégé",
    "jsonld": "JSON-LD with the project's prefixes as @context",
    "trig": "TriG: ontology, curated and inferred triples in three named graphs",
    "nquads": "N-Quads: the same three named graphs",
    "graphml": "GraphML property graph (Gephi, Cytoscape, igraph, networkx)",
    "gexf": "GEXF 1.2 property graph (Gephi)",
    "neo4j": "folder: nodes.csv + relationships.csv (neo4j-admin import) and load.cypher (LOAD CSV)",
    "kgx": "folder: KGX TSV nodes.tsv + edges.tsv with Biolink categories and predicates",
}
#: Formats that write a folder of files, so they need ``--output DIR``.
MULTI_FILE_FORMATS: dict[str, tuple[str, ...]] = {
    "neo4j": ("nodes.csv", "relationships.csv", "load.cypher"),
    "kgx": ("nodes.tsv", "edges.tsv"),
}
_RDFLIB_FORMAT = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld"}


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def export_bytes(layout: Layout, fmt: str, split: ProvenanceSplit | None = None) -> bytes:
    """A single-file format, serialised (the same bytes on every run).

    :param split: the result of :func:`split_provenance`, to export several formats with one split.
    """
    from ketamine_kg.rdf.canonical import canonical_bytes

    _check_format(fmt)
    if fmt in MULTI_FILE_FORMATS:
        raise UsageError(f"--format {fmt} writes several files; give --output DIR")
    if fmt in _RDFLIB_FORMAT:
        path = layout.graph_file("nt")
        if not path.is_file():
            raise UsageError(f"{path} is missing; run 'ketamine-kg build' first")
        return canonical_bytes(Graph().parse(path, format="nt"), _RDFLIB_FORMAT[fmt])
    split = split or split_provenance(layout)
    if fmt == "nquads":
        # The build wrote exactly this file; split_provenance checked it against the graph.
        return layout.named_graphs_file.read_bytes()
    if fmt == "trig":
        return trig_bytes(split)
    return cast(bytes, WRITERS[fmt](property_graph(split)))  # a single-file format


def export_files(layout: Layout, fmt: str, split: ProvenanceSplit | None = None) -> dict[str, bytes]:
    """A multi-file format (``neo4j``, ``kgx``): file name -> bytes."""
    _check_format(fmt)
    if fmt not in MULTI_FILE_FORMATS:
        raise UsageError(f"--format {fmt} writes one file, not a folder")
    return cast(dict[str, bytes], WRITERS[fmt](property_graph(split or split_provenance(layout))))


@dataclass
class ExportResult:
    """What an export made: the bytes (when no output path was given) or the files written."""

    fmt: str
    data: bytes | None = None
    written: list[Path] = field(default_factory=list)


def _protected(layout: Layout, path: Path) -> bool:
    # The project's own hand-edited and generated files are never an export target.
    root = layout.root.resolve()
    inside = (root / "graph" / "curated", root / "ontology", root / "queries")
    if any(path == d or d in path.parents for d in inside):
        return True
    return path in {
        (root / "graph" / name) for name in (*GRAPH_FILES.values(), NAMED_GRAPHS_FILE, "ketamine-kg.sssom.tsv")
    }


def _check_file_target(layout: Layout, path: Path) -> None:
    if path.is_symlink():
        raise UsageError(f"{path} is a symbolic link; give the real path")
    if path.exists() and not path.is_file():
        raise UsageError(f"{path} exists and is not a regular file; choose another --output")
    if _protected(layout, path.resolve()):
        raise UsageError(f"{path} is one of the project's own files; export elsewhere")
    if not path.parent.is_dir():
        raise UsageError(f"folder {path.parent} does not exist")


def _check_dir_target(layout: Layout, path: Path, names: tuple[str, ...]) -> None:
    if path.is_symlink():
        raise UsageError(f"{path} is a symbolic link; give the real path")
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"{path} exists and is not a folder; --format needs a folder for --output")
        others = sorted(p.name for p in path.iterdir() if p.name not in names or not p.is_file())
        if others:
            raise UsageError(
                f"{path} holds files this export did not make ({', '.join(others[:3])}); choose a new or empty folder"
            )
    if _protected(layout, path.resolve()):
        raise UsageError(f"{path} is inside the project's own folders; export elsewhere")
    if not path.parent.is_dir():
        raise UsageError(f"folder {path.parent} does not exist")


def _write_file(path: Path, data: bytes) -> None:
    # Write beside the target, then rename: an interrupted export never leaves half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_dir(path: Path, files: dict[str, bytes]) -> list[Path]:
    # Fill a new folder beside the target, then swap it in: readers see the old set or the new
    # set, never a mixture.
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    old: Path | None = None
    try:
        os.chmod(tmp, 0o755)
        for name, data in files.items():
            (tmp / name).write_bytes(data)
            os.chmod(tmp / name, 0o644)
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
            os.rename(path, old / path.name)
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not path.exists() and (old / path.name).exists():
            os.rename(old / path.name, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return [path / name for name in files]


def export(layout: Layout, fmt: str, output: Path | None = None) -> ExportResult:
    """Export the graph in ``fmt``; to ``output`` if given (a file, or a folder for ``neo4j`` and
    ``kgx``), else return the bytes.

    :raises UsageError: unknown format, no ``output`` for a multi-file format, or an output path
        that exists as something we would not overwrite, or cannot be written.
    :raises ValidationFailed: the graph files are out of date with the curated data.
    """
    _check_format(fmt)
    if output is not None and str(output) == "-":
        output = None  # the usual spelling of standard output
    if fmt in MULTI_FILE_FORMATS:
        if output is None:
            raise UsageError(f"--format {fmt} writes a folder of files; give --output DIR")
        _check_dir_target(layout, output, MULTI_FILE_FORMATS[fmt])
        files = export_files(layout, fmt)
        try:
            return ExportResult(fmt, written=_write_dir(output, files))
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    if output is not None:
        _check_file_target(layout, output)
    data = export_bytes(layout, fmt)
    if output is None:
        return ExportResult(fmt, data=data)
    try:
        _write_file(output, data)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    return ExportResult(fmt, written=[output])
