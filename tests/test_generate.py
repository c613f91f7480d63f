"""The benchmark generator: N copies of the shipped graph, on which the named queries still answer."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from ketamine_kg.query.catalogue import load_catalogue
from ketamine_kg.query.engine import execute, load_store
from ketamine_kg.layout import Layout

_GENERATE = Path(__file__).resolve().parents[1] / "benchmarks" / "generate.py"
_RESOURCE = re.compile(r"<https://w3id\.org/ketamine-kg/resource/")


def _generate_module():
    spec = importlib.util.spec_from_file_location("kk_generate", _GENERATE)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_factor_two_adds_one_renamed_copy_and_queries_see_it(tmp_path: Path, layout: Layout) -> None:
    source = layout.graph_file("nt")
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    curated = sum(1 for line in lines if _RESOURCE.search(line))
    output = tmp_path / "x2.nt"

    count = _generate_module().generate(2, output, source)

    assert count == len(lines) + curated
    one, two = load_store(source), load_store(output)
    assert len(one) == len(lines) and len(two) == count  # no copy collapses into the original
    approved = load_catalogue(layout.queries)["approved-uses"]
    rows_one = execute(one, approved.text, approved.bindings()).rows
    rows_two = execute(two, approved.text, approved.bindings()).rows
    assert rows_one and len(rows_two) == 2 * len(rows_one)
