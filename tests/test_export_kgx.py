"""The KGX export through Biolink's own tool, ``kgx``: validate and transform, offline.

``kgx`` pins old numpy, pyarrow, Sphinx and docutils, so it lives in a venv of its own that
``.ci/run`` makes (``$KETAMINE_KG_KGX_VENV``, default ``~/.cache/ketamine-kg/kgx-venv``); these tests
are skipped, saying so, where that venv is absent. ``kgx`` runs through
``ketamine_kg/export/kgx_offline.py``, which points it at the Biolink model the ``biolink-model``
package ships; the network is cut (a new network namespace where one can be made, and a proxy
that refuses every connection) so a download would fail the test.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from ketamine_kg.export.writer import export_files
from ketamine_kg.export.formats import KGX_EDGE_BASE
from ketamine_kg.layout import Layout
from ketamine_kg.rdf.prefixes import converter
from ketamine_kg.settings import settings

RUNNER = Path(__file__).resolve().parents[1] / "src" / "ketamine_kg" / "export" / "kgx_offline.py"
VENV = settings().kgx_venv
KGX_PYTHON = VENV / "bin" / "python"
PROJECT_PREFIXES = ("--prefix", "kk=https://w3id.org/ketamine-kg/ontology#",
                    "--prefix", "kkr=https://w3id.org/ketamine-kg/resource/")

pytestmark = [
    pytest.mark.slow,  # kgx reads and writes every node and edge, in a process of its own, per test
    pytest.mark.skipif(
        not KGX_PYTHON.is_file(),
        reason=f"no kgx venv at {VENV} (.ci/run makes it: python -m venv, then pip install kgx biolink-model)",
    ),
]


def _offline_prefix() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def kgx(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9",
               http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9", NO_PROXY="", no_proxy="")
    env.pop("PYTHONPATH", None)
    return subprocess.run([*_offline_prefix(), str(KGX_PYTHON), str(RUNNER), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def kgx_folder(layout: Layout, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kgx")
    for name, data in export_files(layout, "kgx").items():
        (folder / name).write_bytes(data)
    return folder


def _inputs(folder: Path) -> list[str]:
    return [str(folder / "nodes.tsv"), str(folder / "edges.tsv")]


def test_kgx_validate_reports_no_error(kgx_folder: Path, tmp_path: Path) -> None:
    done = kgx(*PROJECT_PREFIXES, "validate", "-i", "tsv", *_inputs(kgx_folder), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ERROR" not in done.stderr and "ERROR" not in done.stdout, done.stderr[-3000:]
    # Nor a warning: a column named like a Biolink type (`curie`) gave one per cross-reference.
    assert "WARNING" not in done.stdout + done.stderr, (done.stdout + done.stderr)[-3000:]


def test_kgx_validate_with_biolinks_prefixes_alone_reports_only_the_project_prefixes(kgx_folder: Path,
                                                                                      tmp_path: Path) -> None:
    # Biolink's prefix map has no prefix for the graph's own ids (claims, sources without a PMID,
    # vocabulary values): kgx reports each such id, and nothing else.
    nodes = _rows(kgx_folder / "nodes.tsv")
    own = {n["id"] for n in nodes if n["id"].split(":")[0] in ("kk", "kkr")}
    assert 0 < len(own) < len(nodes)
    done = kgx("validate", "-i", "tsv", *_inputs(kgx_folder), cwd=tmp_path)
    assert done.returncode == 1
    text = done.stdout + "\n" + done.stderr
    report = json.loads(text[text.index("\n{") + 1:text.rindex("}") + 1])
    kinds = {kind for level in report.values() for kind in level}
    assert kinds <= {"INVALID_NODE_PROPERTY_VALUE", "INVALID_EDGE_PROPERTY_VALUE"}, kinds
    messages = [m for level in report.values() for kind in level.values() for m in kind]
    assert all("with a CURIE prefix 'kk' " in m or "with a CURIE prefix 'kkr' " in m for m in messages)
    named = {m.split("' has a value '")[1].split("'")[0] for m in messages if "Node property 'id'" in m}
    assert named == own


def test_kgx_transform_to_jsonl_keeps_every_node_and_edge(kgx_folder: Path, tmp_path: Path) -> None:
    nodes, edges = _rows(kgx_folder / "nodes.tsv"), _rows(kgx_folder / "edges.tsv")
    done = kgx(*PROJECT_PREFIXES, "transform", "--stream", "-i", "tsv", "-f", "jsonl", "-o", str(tmp_path / "kk"),
               *_inputs(kgx_folder), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    out_nodes = [json.loads(line) for line in (tmp_path / "kk_nodes.jsonl").read_text().splitlines()]
    out_edges = [json.loads(line) for line in (tmp_path / "kk_edges.jsonl").read_text().splitlines()]
    assert len(out_nodes) == len(nodes) and {n["id"] for n in out_nodes} == {n["id"] for n in nodes}
    assert len(out_edges) == len(edges) and {e["id"] for e in out_edges} == {e["id"] for e in edges}
    # Each claim edge keeps its own identity and provenance, publications as a list.
    by_id = {e["id"]: e for e in out_edges}
    claims = [e for e in edges if e.get("original_predicate") == "kk:TherapeuticUseClaim"]
    assert claims
    for row in claims:
        back = by_id[row["id"]]
        assert back["statement"] == row["statement"] and back["subject"] == row["subject"]
        for key in ("knowledge_level", "agent_type", "primary_knowledge_source"):
            assert back[key] == row[key], key
        if row["publications"]:
            assert sorted(back["publications"]) == sorted(row["publications"].split("|"))
    # A "|" inside a label stays one label (escaped in the TSV).
    piped = [n for n in nodes if "%7C" in n["name"]]
    assert piped
    out_by_id = {n["id"]: n for n in out_nodes}
    assert all(out_by_id[n["id"]]["name"] == n["name"] for n in piped)


def test_kgx_transform_to_ntriples_keeps_every_node_and_edge(kgx_folder: Path, tmp_path: Path) -> None:
    nodes, edges = _rows(kgx_folder / "nodes.tsv"), _rows(kgx_folder / "edges.tsv")
    done = kgx(*PROJECT_PREFIXES, "transform", "--stream", "-i", "tsv", "-f", "nt", "-o", str(tmp_path / "kk.nt"),
               *_inputs(kgx_folder), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    graph = Graph().parse(tmp_path / "kk.nt", format="nt")
    subjects = {str(s) for s in graph.subjects()}
    edge_iris = {s for s in subjects if s.startswith(KGX_EDGE_BASE)}
    assert edge_iris == {e["id"] for e in edges} and len(edge_iris) == len(edges)
    # kgx expands with Biolink's prefix map, which spells PubMed and HGNC IRIs its own way (the
    # project's converter takes the Bioregistry's: genenames.org for HGNC).
    biolink = {"PMID": "http://www.ncbi.nlm.nih.gov/pubmed/", "HGNC": "http://identifiers.org/hgnc/"}

    def expanded(curie: str) -> str:
        prefix, _, local = curie.partition(":")
        return biolink[prefix] + local if prefix in biolink else converter().expand(curie) or curie

    node_iris = {expanded(n["id"]) for n in nodes}
    assert node_iris <= subjects
    assert len(node_iris) == len(nodes)
    assert (URIRef(converter().expand("MONDO:0002009")), None, None) in graph
