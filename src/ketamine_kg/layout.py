"""Where the project's folders are: curated data, ontology, queries and built files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .settings import settings

__all__ = ["GRAPH_FILES", "NAMED_GRAPHS_FILE", "Layout", "find_layout"]

#: Built graph files under graph/, by rdflib format name. N-Triples first: it is what stores load.
GRAPH_FILES: dict[str, str] = {
    "nt": "ketamine-kg.nt",
    "turtle": "ketamine-kg.ttl",
    "xml": "ketamine-kg.owl",
    "json-ld": "ketamine-kg.jsonld",
}

#: The same graph as N-Quads in three named graphs (ontology, asserted, inferred): the build
#: knows where each triple came from, so exports never recompile the curated data.
NAMED_GRAPHS_FILE = "ketamine-kg.nq"


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def curated(self) -> Path:
        return self.root / "graph" / "curated"

    @property
    def graph_dir(self) -> Path:
        return self.root / "graph"

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def tbox_source(self) -> Path:
        return self.ontology_dir / "ketamine-edit.ttl"

    @property
    def shapes(self) -> Path:
        """The hand-written SHACL shapes (those the schema cannot generate)."""
        return self.ontology_dir / "shapes.ttl"

    @property
    def generated_shapes(self) -> Path:
        return self.ontology_dir / "shapes-generated.ttl"

    @property
    def shape_files(self) -> tuple[Path, ...]:
        """Every SHACL file validation runs: generated from the schema, and by hand."""
        return (self.generated_shapes, self.shapes)

    @property
    def schema(self) -> Path:
        """The curated-data schema (LinkML), the one place a field is declared."""
        return self.ontology_dir / "ketamine-kg.schema.yaml"

    @property
    def rules(self) -> Path:
        return self.ontology_dir / "rules"

    @property
    def queries(self) -> Path:
        return self.root / "queries"

    @property
    def checks(self) -> Path:
        return self.queries / "checks"

    @property
    def named_graphs_file(self) -> Path:
        return self.graph_dir / NAMED_GRAPHS_FILE

    def graph_file(self, fmt: str = "nt") -> Path:
        return self.graph_dir / GRAPH_FILES[fmt]


def _looks_like_root(path: Path) -> bool:
    return (path / "ontology" / "ketamine-edit.ttl").is_file() and (path / "graph").is_dir()


def find_layout(root: str | Path | None = None) -> Layout:
    """The project folders: ``root`` if given, else ``$KETAMINE_KG_ROOT``, else the nearest folder
    upwards from the working directory that holds them, else the checkout this package runs from.

    :raises UsageError: if none of these holds the project's folders.
    """
    if root is None:
        root = settings().root
    if root is not None:
        path = Path(root).expanduser().resolve()
        if not _looks_like_root(path):
            raise UsageError(f"not a ketamine-kg folder (no ontology/ketamine-edit.ttl and graph/): {path}")
        return Layout(path)
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents, Path(__file__).resolve().parents[2]):
        if _looks_like_root(candidate):
            return Layout(candidate)
    raise UsageError("cannot find the ketamine-kg folders; run inside the checkout or set KETAMINE_KG_ROOT")
