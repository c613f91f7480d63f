"""Every shell command shown in the README's code blocks runs, as written, in a fresh clone, and exits 0.

So the README cannot drift from the code again (it had: a git tag that no clone has, a query file
that does not exist). The commands this test does not run are listed in SKIPPED with the reason;
a skip that no longer matches a command in the README fails the test, so the list stays honest.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT

# A fresh clone, and every README command run in it.
pytestmark = pytest.mark.slow

#: Commands the README shows that are not run here, and why.
SKIPPED = {
    'python -m pip install -c constraints.txt -e ".[viewer]" && ketamine-kg viewer': "set-up: installs, then starts the explorer",
    'python -m pip install -c constraints.txt -e ".[test]" && python -m pytest': "set-up: installs packages, then runs this very suite",
    'python -m pytest -m "not browser and not server and not slow and not reasoner"': "runs this very suite (its fast part)",
    "ketamine-kg viewer --port 8501": "starts a server (the explorer)",
    "ketamine-kg serve": "starts a server (tests/test_server.py runs it)",
    "ketamine-kg query approved-uses --endpoint http://127.0.0.1:7878/query": "needs 'ketamine-kg serve' running",
    "ketamine-kg viewer --endpoint http://127.0.0.1:7878/query": "starts a server (the explorer)",
    "oxigraph serve --location /tmp/my-store --bind 127.0.0.1:7879": "starts a server",
    "ketamine-kg load --endpoint http://127.0.0.1:7879": "needs the writable server started just before it",
    "ketamine-kg query approved-uses --endpoint http://127.0.0.1:7879/query": "needs the writable server above",
    "isql-vt 1111 dba PASSWORD 'exec=GRANT SPARQL_UPDATE TO \"SPARQL\";'": "needs a Virtuoso (tests/test_importers.py runs the recipe)",
    "ketamine-kg load --endpoint http://HOST:8890/sparql": "needs a Virtuoso (tests/test_importers.py runs the recipe)",
    "isql-vt 1111 dba PASSWORD 'exec=REVOKE SPARQL_UPDATE FROM \"SPARQL\";'": "needs a Virtuoso (tests/test_importers.py runs the recipe)",
    "ketamine-kg query approved-uses --endpoint http://HOST:8890/sparql": "needs a Virtuoso",
    # Each line runs on its own here, so the block's KGX and P variables are unset; tests/test_export_kgx.py
    # runs these same three commands with the kgx venv that .ci/run builds.
    "$KGX src/ketamine_kg/export/kgx_offline.py $P validate -i tsv /tmp/kgx/nodes.tsv /tmp/kgx/edges.tsv": "needs the kgx venv",
    "$KGX src/ketamine_kg/export/kgx_offline.py $P transform --stream -i tsv -f nt -o /tmp/kk.nt /tmp/kgx/nodes.tsv /tmp/kgx/edges.tsv": "needs the kgx venv",
    "$KGX src/ketamine_kg/export/kgx_offline.py $P transform --stream -i tsv -f jsonl -o /tmp/kk /tmp/kgx/nodes.tsv /tmp/kgx/edges.tsv": "needs the kgx venv",
}
#: Commands that need Java (HermiT); skipped, with the reason, where Java is missing.
NEEDS_JAVA = {"ketamine-kg build --check", "ketamine-kg validate --file graph/ketamine-kg.ttl"}
_SHELL_BLOCKS = ("bash", "sh", "shell", "console", "text")
_COMMAND_START = ("ketamine-kg", "python ", "oxigraph ", "streamlit ")


def readme_commands(text: str) -> list[str]:
    """The shell commands in the README's fenced blocks: each line of a bash block, command lines of a text block."""
    commands: list[str] = []
    for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.M | re.S):
        if lang not in _SHELL_BLOCKS:
            continue
        for line in body.splitlines():
            command = re.split(r"\s{2,}#\s", line.strip(), maxsplit=1)[0].strip()
            if not command or command.startswith("#"):
                continue
            if lang == "text" and not command.startswith(_COMMAND_START):
                continue  # a text block may also show a folder layout
            commands.append(command)
    return list(dict.fromkeys(commands))


COMMANDS = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_shows_commands_and_every_skip_is_still_in_it() -> None:
    assert len(COMMANDS) >= 15
    stale = sorted(set(SKIPPED) - set(COMMANDS))
    assert not stale, f"SKIPPED lists commands the README no longer shows: {stale}"


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone of this checkout's committed state: what a new user gets (no tags, no built extras)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    dest = tmp_path_factory.mktemp("readme") / "ketamine-kg"
    done = subprocess.run(
        ["git", "clone", "--quiet", "--no-tags", str(ROOT), str(dest)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot clone this checkout: {done.stderr.strip()}")
    return dest


@pytest.mark.parametrize(
    "command",
    [pytest.param(c, marks=pytest.mark.reasoner) if c in NEEDS_JAVA else c for c in COMMANDS if c not in SKIPPED],
)
def test_readme_command_runs_in_a_fresh_clone(command: str, clone: Path) -> None:
    if command in NEEDS_JAVA and shutil.which("java") is None:
        pytest.skip("needs Java for HermiT")
    env = {**os.environ, "PYTHONPATH": str(clone / "src"), "KETAMINE_KG_ROOT": str(clone)}
    done = subprocess.run(["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command!r} exited {done.returncode}: {done.stderr.strip()[-500:]}"


def test_readme_counts_are_the_graph_statistics_answer(worker) -> None:
    """The counts under 'What is in it' are what the graph-statistics question answers, row for row."""
    from ketamine_kg.query.catalogue import load_catalogue
    from ketamine_kg.query.run import run_named

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## What is in it", 1)[1].split("\n## ", 1)[0]
    shown = dict(re.findall(r"^\| ([^|]+?) \| (\d+) \|$", section, flags=re.M))
    rows = run_named(worker, load_catalogue(ROOT / "queries")["graph-statistics"]).records()
    assert shown == {r["measure"]: r["count"] for r in rows}
