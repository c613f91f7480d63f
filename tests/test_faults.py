"""Faults: corrupted graph files are caught and named, a build that fails part-way leaves every
previous file as it was, a broken graph gives a one-line error, and the served endpoint answers
concurrent clients without an error.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from rdflib import Graph

from ketamine_kg.build import pipeline as build_module
from ketamine_kg.cli.main import main
from ketamine_kg.errors import KetamineKGError
from ketamine_kg.layout import GRAPH_FILES, Layout

ROOT = Path(__file__).resolve().parents[1]


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> bool:
    return len(err.strip().splitlines()) == 1 and "Traceback" not in err


def _truncate(data: bytes) -> bytes:
    # Cut inside a line (and, for the multi-byte label text, possibly inside a character).
    return data[: len(data) * 2 // 3 + 7]


def _corrupt(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + b"\x00<<{{ not RDF \xff\xfe }}>>\n" + data[middle:]


# -- validate on damaged release files -----------------------------------------------------------
@pytest.mark.parametrize("damage", [_truncate, _corrupt], ids=["truncated", "corrupted"])
def test_every_damaged_release_file_is_named_on_its_own_line(damage, project_copy: Layout, capsys) -> None:
    for name in GRAPH_FILES.values():
        path = project_copy.graph_dir / name
        path.write_bytes(damage(path.read_bytes()))
    code, out, err = cli(["validate", "--root", str(project_copy.root), "--no-reasoner"], capsys)
    assert code == 4
    assert one_line(err) and "validation failed" in err
    problems = [line for line in out.splitlines() if line.startswith("[built-files]")]
    # One line per problem, one problem per file, each naming its file.
    assert sorted(line.split()[1].rstrip(":") for line in problems) == sorted(GRAPH_FILES.values()), out
    assert all("does not parse" in line or "holds" in line for line in problems), out
    assert "Traceback" not in out


@pytest.mark.parametrize("fmt", list(GRAPH_FILES))
@pytest.mark.parametrize("damage", [_truncate, _corrupt], ids=["truncated", "corrupted"])
def test_a_damaged_file_given_to_validate_is_a_parse_finding(fmt: str, damage, layout: Layout, tmp_path: Path, capsys) -> None:
    name = GRAPH_FILES[fmt]
    path = tmp_path / name
    path.write_bytes(damage((layout.graph_dir / name).read_bytes()))
    code, out, err = cli(["validate", "--file", str(path), "--no-reasoner"], capsys)
    assert code == 4, out + err
    assert one_line(err)
    findings = [line for line in out.splitlines() if line.startswith("[")]
    assert len(findings) == 1 and findings[0].startswith("[parse]") and name in findings[0], out


# -- a build that fails part-way -----------------------------------------------------------------
def _snapshot(layout: Layout) -> dict[Path, bytes]:
    files = [layout.ontology_dir / "ketamine.ttl", layout.ontology_dir / "ketamine.owl"]
    files += [layout.graph_dir / name for name in GRAPH_FILES.values()]
    return {path: path.read_bytes() for path in files}


def _leftovers(layout: Layout) -> list[Path]:
    return [p for d in (layout.graph_dir, layout.ontology_dir) for p in d.iterdir() if p.name.endswith(".tmp")]


@pytest.fixture()
def fake_graphs(monkeypatch, layout: Layout):
    """Skip compiling and reasoning: the build's writing stage is what these tests break."""
    from ketamine_kg.build import curation
    from ketamine_kg.build.compile import compile_curation

    result = SimpleNamespace(
        tbox=Graph().parse(layout.ontology_dir / "ketamine.ttl", format="turtle"),
        # The build also writes the named graphs, for which it needs the curated part.
        asserted=compile_curation(curation.load(layout.curated)),
        full=Graph().parse(layout.graph_file("nt"), format="nt"),
        written=[], unchanged=[], stale=[],
    )
    monkeypatch.setattr(build_module, "build_graphs", lambda _layout: result)
    return result


def test_a_serialiser_failing_on_the_third_file_writes_nothing(fake_graphs, project_copy: Layout, monkeypatch) -> None:
    before = _snapshot(project_copy)
    real = build_module.canonical_bytes
    calls = []

    def failing(graph, fmt):
        calls.append(fmt)
        if len(calls) == 3:
            raise RuntimeError("serialiser crashed")
        return real(graph, fmt) + b"\n# changed\n"

    monkeypatch.setattr(build_module, "canonical_bytes", failing)
    with pytest.raises(RuntimeError, match="serialiser crashed"):
        build_module.build(project_copy)
    assert _snapshot(project_copy) == before
    assert _leftovers(project_copy) == []


def test_a_full_disk_on_the_third_file_leaves_every_file_as_it_was(fake_graphs, project_copy: Layout, monkeypatch) -> None:
    before = _snapshot(project_copy)
    real_bytes = build_module.canonical_bytes
    monkeypatch.setattr(build_module, "canonical_bytes", lambda g, fmt: real_bytes(g, fmt) + b"\n# changed\n")
    real_fdopen = os.fdopen
    opened = []

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(28, "No space left on device")

    def fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        opened.append(fd)
        return FullDisk(handle) if len(opened) == 3 else handle

    monkeypatch.setattr(build_module.os, "fdopen", fdopen)
    with pytest.raises(KetamineKGError, match="No space left.*no file was changed"):
        build_module.build(project_copy)
    assert len(opened) == 3
    assert _snapshot(project_copy) == before, "a file was replaced before the build failed"
    assert _leftovers(project_copy) == []


def test_an_unwritable_graph_folder_fails_the_build_cleanly(fake_graphs, project_copy: Layout, monkeypatch, capsys) -> None:
    before = _snapshot(project_copy)
    real_bytes = build_module.canonical_bytes
    monkeypatch.setattr(build_module, "canonical_bytes", lambda g, fmt: real_bytes(g, fmt) + b"\n# changed\n")
    real_mkstemp = build_module.tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):  # noqa: A002 - tempfile's own name
        # Tests run as root, for whom chmod does not deny writes; the refusal is simulated.
        if Path(dir) == project_copy.graph_dir:
            raise PermissionError(13, "Permission denied", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(build_module.tempfile, "mkstemp", mkstemp)
    code, out, err = cli(["build", "--root", str(project_copy.root)], capsys)
    assert code != 0 and one_line(err) and "Traceback" not in err, err
    assert _snapshot(project_copy) == before
    assert _leftovers(project_copy) == []


# -- query on a missing or broken graph ----------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "graph file not found"),
        (b"<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> \"unterminated\n", "cannot load"),
        (b"\x00\x01\x02 binary junk \xff\xfe", "cannot load"),
        (b"<urn:a> <urn:b> \"caf\xc3", "cannot load"),  # cut inside a UTF-8 character
    ],
    ids=["missing", "truncated", "binary", "split-utf8"],
)
def test_query_on_a_broken_graph_is_a_one_line_usage_error(content: bytes | None, fragment: str, tmp_path: Path, capsys) -> None:
    graph = tmp_path / "g.nt"
    if content is not None:
        graph.write_bytes(content)
    code, out, err = cli(["query", "approved-uses", "--graph", str(graph), "--root", str(ROOT)], capsys)
    assert code == 2 and fragment in err and one_line(err), err
    assert out == ""


def test_query_on_a_project_whose_graph_is_corrupted(project_copy: Layout, capsys) -> None:
    path = project_copy.graph_file("nt")
    path.write_bytes(_corrupt(path.read_bytes()))
    code, out, err = cli(["query", "approved-uses", "--root", str(project_copy.root)], capsys)
    assert code == 2 and "cannot load ketamine-kg.nt" in err and one_line(err), err


def test_query_on_a_project_whose_graph_is_missing(project_copy: Layout, capsys) -> None:
    project_copy.graph_file("nt").unlink()
    code, out, err = cli(["query", "approved-uses", "--root", str(project_copy.root)], capsys)
    assert code == 2 and "graph file not found" in err and "ketamine-kg build" in err and one_line(err), err


# -- the served endpoint under concurrent clients -------------------------------------------------
def _load_module():
    spec = importlib.util.spec_from_file_location("kkg_load_benchmark", ROOT / "benchmarks" / "load.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_endpoint_answers_eight_concurrent_clients_without_error(tmp_path: Path) -> None:
    load = _load_module()
    with load.endpoint(tmp_path) as (url, what):
        stats = load.endpoint_load(url, clients=8, duration=3, label=what)
    print(stats.line())
    assert stats.requests > 0
    assert stats.errors == 0, stats.error_samples
