"""The house rules a newcomer relies on: one place reads the environment, no machine's paths."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

from ketamine_kg.layout import find_layout
from ketamine_kg.settings import Settings

from .conftest import ROOT

SRC = ROOT / "src" / "ketamine_kg"


def _environment_reads(path: Path) -> list[str]:
    """``os.environ.get(...)``, ``os.getenv(...)``, ``os.environ[...]`` and ``... in os.environ`` in one module
    (copying the whole environment for a child process, ``{**os.environ, ...}``, reads no setting)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        text = ast.unparse(node)
        if isinstance(node, ast.Call) and re.fullmatch(r"(os\.)?(environ\.get|getenv)", ast.unparse(node.func)):
            found.append(f"{path.name}:{node.lineno} {text}")
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and ast.unparse(node.value) in (
            "os.environ", "environ"
        ):
            found.append(f"{path.name}:{node.lineno} {text}")
        elif isinstance(node, ast.Compare) and any(ast.unparse(c) in ("os.environ", "environ") for c in node.comparators):
            found.append(f"{path.name}:{node.lineno} {text}")
    return found


def test_only_settings_reads_the_environment() -> None:
    reads = {str(p.relative_to(SRC)): _environment_reads(p) for p in SRC.rglob("*.py")}
    del reads["settings.py"]
    assert {k: v for k, v in reads.items() if v} == {}


def test_the_finder_sees_an_environment_read_where_one_is(tmp_path: Path) -> None:
    """The check above can fail: each way of reading the environment is seen."""
    for code in ('os.environ.get("X")', 'os.getenv("X")', 'os.environ["X"]', '"X" in os.environ'):
        assert _environment_reads_in(code, tmp_path), code
    assert not _environment_reads_in("env = {**os.environ, 'A': 'b'}", tmp_path)


def _environment_reads_in(code: str, folder: Path) -> list[str]:
    path = folder / "probe.py"
    path.write_text(f"import os\n{code}\n", encoding="utf-8")
    return _environment_reads(path)


def test_settings_read_the_environment_when_asked(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KETAMINE_KG_ROOT", str(ROOT))
    monkeypatch.setenv("KETAMINE_KG_ENDPOINT", "")  # empty is unset
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # not inside a checkout: the variable decides
    assert find_layout().root == ROOT
    s = Settings.from_environment()
    assert s.endpoint is None and s.cache_dir == tmp_path / "ketamine-kg"
    assert Settings.from_environment({}).kgx_venv == Path.home() / ".cache" / "ketamine-kg" / "kgx-venv"


#: A path on one machine, not in the repository (a checkout, a worktree, a staging folder, a home).
MACHINE_PATH = re.compile(r"(?<![\w.:/-])/(?:work|root|home/[a-z_][a-z0-9_-]*)/")
#: Files with a machine path that their owners are yet to fix (another branch changes them).
KNOWN = {"src/ketamine_kg/evidence/selection.py"}


def _tracked_text_files() -> list[str]:
    done = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    return [name for name in done.stdout.splitlines() if (ROOT / name).is_file()]


def _machine_paths(name: str) -> list[str]:
    try:
        text = (ROOT / name).read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return []
    return [f"{name}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1) if MACHINE_PATH.search(line)]


def test_no_machine_path_in_the_repository() -> None:
    found = [hit for name in _tracked_text_files() if name not in KNOWN for hit in _machine_paths(name)]
    assert found == []


def test_no_machine_path_in_the_files_known_to_have_one() -> None:
    assert [hit for name in sorted(KNOWN) for hit in _machine_paths(name)] == []


def test_the_machine_path_pattern_finds_one_and_spares_urls() -> None:
    root = "/"  # split, so that this file holds no machine path itself
    assert MACHINE_PATH.search(f"see {root}work/staging/FORMAT.md") and MACHINE_PATH.search(f"({root}root/.cache/x)")
    assert not MACHINE_PATH.search("https://example.org/work/x and graph/curated/work/")


#: The pages a source's identifiers name: typed once, in rdf/iris.py.
SOURCE_PAGES = ("pubmed.ncbi.nlm.nih.gov", "doi.org/", "clinicaltrials.gov")
#: Modules that still type them, changed on another branch (viewer/ is h-explorer's).
PAGES_ELSEWHERE: dict[str, str] = {}


def _source_page_literals(path: Path) -> list[str]:
    """String constants (docstrings aside) that hold a source page's address."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)
    }
    return [
        f"{path.name}:{n.lineno} {n.value!r}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
        and any(page in n.value for page in SOURCE_PAGES)
    ]


_MODULES = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if p.name != "iris.py")


@pytest.mark.parametrize(
    "module",
    [pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=PAGES_ELSEWHERE[m])) if m in PAGES_ELSEWHERE else m
     for m in _MODULES],
)
def test_source_page_addresses_are_typed_only_in_rdf_iris(module: str) -> None:
    assert _source_page_literals(SRC / module) == []
