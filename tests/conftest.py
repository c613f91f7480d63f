"""Shared fixtures: the project's real curated data and built graph, and a query worker on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ketamine_kg.build import curation
from ketamine_kg.query.engine import QueryWorker
from ketamine_kg.layout import Layout, find_layout

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory):
    """The binder's verdict cache (binding.check_prebinding) goes to a folder of the test run's own."""
    import os

    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture(scope="session")
def layout() -> Layout:
    return find_layout(ROOT)


@pytest.fixture(scope="session")
def curated(layout: Layout) -> curation.Curation:
    return curation.load(layout.curated)


@pytest.fixture(scope="session")
def worker(layout: Layout):
    with QueryWorker(layout.graph_file("nt")) as w:
        yield w


@pytest.fixture()
def project_copy(tmp_path: Path, layout: Layout) -> Layout:
    """A throwaway copy of the project's knowledge folders, to break and rebuild."""
    for name in ("ontology", "graph", "queries"):
        shutil.copytree(layout.root / name, tmp_path / name)
    return Layout(tmp_path)
