"""Exports: every format reads back, in two independent readers, as the graph it was made from."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path
from xml.etree import ElementTree as ET

import igraph
import networkx as nx
import pandas as pd
import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from ketamine_kg.build import curation
from ketamine_kg.cli.main import main
from ketamine_kg.build.compile import compile_curation
from ketamine_kg.errors import ValidationFailed
from ketamine_kg.export.formats import KGX_EDGE_BASE, kgx_primary_ids
from ketamine_kg.export.writer import GRAPH_IRIS, INFORES, export_bytes, export_files, property_graph, split_provenance
from ketamine_kg.layout import Layout

from .support import numbers_by_value, oxigraph_as_rdflib

RDF_FORMATS = {  # ours -> (rdflib parser, pyoxigraph parser)
    "turtle": ("turtle", ox.RdfFormat.TURTLE),
    "ntriples": ("nt", ox.RdfFormat.N_TRIPLES),
    "rdfxml": ("xml", ox.RdfFormat.RDF_XML),
    "jsonld": ("json-ld", ox.RdfFormat.JSON_LD),
}
QUAD_FORMATS = {"trig": ("trig", ox.RdfFormat.TRIG), "nquads": ("nquads", ox.RdfFormat.N_QUADS)}
KNOWLEDGE_LEVELS = {"knowledge_assertion", "logical_entailment", "prediction", "statistical_association",
                    "observation", "not_provided"}
AGENT_TYPES = {"manual_agent", "automated_agent", "data_analysis_pipeline", "computational_model",
               "text_mining_agent", "image_processing_agent", "manual_validation_of_automated_agent", "not_provided"}
KK = "https://w3id.org/ketamine-kg/ontology#"
# rdflib's TriG, N-Quads and JSON-LD parsers use its own deprecated ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib.*")


# --- shared inputs: made once per module ------------------------------------------------------


@pytest.fixture(scope="module")
def full(layout: Layout) -> Graph:
    return Graph().parse(layout.graph_file("nt"), format="nt")


@pytest.fixture(scope="module")
def split(layout: Layout):
    return split_provenance(layout)


@pytest.fixture(scope="module")
def model(split):
    return property_graph(split)


@pytest.fixture(scope="module")
def outputs(layout: Layout, split) -> dict[str, bytes]:
    return {fmt: export_bytes(layout, fmt, split) for fmt in (*RDF_FORMATS, *QUAD_FORMATS, "graphml", "gexf")}


@pytest.fixture(scope="module")
def folders(layout: Layout, split, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("export")
    folders = {}
    for fmt in ("neo4j", "kgx"):
        folders[fmt] = base / fmt
        folders[fmt].mkdir()
        for name, data in export_files(layout, fmt, split).items():
            (folders[fmt] / name).write_bytes(data)
    return folders


@pytest.fixture(scope="module")
def known_claim(curated: curation.Curation):
    """A curated claim whose sources have PMIDs, read from the YAML, not from any export."""
    sources = {s.id: s for s in curated.sources}
    for claim in curated.claims:
        pmids = {f"PMID:{sources[s].pmid}" for s in claim.sources if sources[s].pmid}
        if pmids and claim.regulatory_status == "off-label":
            return claim, pmids
    pytest.fail("no off-label claim with a PMID in the curated data")


# --- RDF --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(RDF_FORMATS))
def test_rdf_formats_read_back_as_the_full_graph(fmt: str, outputs, full: Graph) -> None:
    rdflib_fmt, ox_fmt = RDF_FORMATS[fmt]
    assert isomorphic(Graph().parse(data=outputs[fmt], format=rdflib_fmt), full)
    assert isomorphic(oxigraph_as_rdflib(ox.parse(outputs[fmt], format=ox_fmt)), numbers_by_value(full))


def test_jsonld_context_is_the_project_prefixes(outputs) -> None:
    import json

    context = json.loads(outputs["jsonld"])["@context"]
    assert context["kk"] == KK and context["biolink"] == "https://w3id.org/biolink/vocab/"


@pytest.mark.parametrize("fmt", list(QUAD_FORMATS))
def test_named_graphs_are_what_they_say_and_add_up(fmt: str, outputs, full: Graph, layout: Layout,
                                                   curated: curation.Curation) -> None:
    rdflib_fmt, ox_fmt = QUAD_FORMATS[fmt]
    dataset = Dataset()
    dataset.parse(data=outputs[fmt], format=rdflib_fmt)
    in_rdflib = {str(g.identifier): g for g in dataset.graphs() if len(g)}
    quads = list(ox.parse(outputs[fmt], format=ox_fmt))
    in_oxigraph = {name: oxigraph_as_rdflib(q for q in quads if q.graph_name.value == name)
                   for name in {q.graph_name.value for q in quads}}
    assert set(in_rdflib) == set(in_oxigraph) == {str(iri) for iri in GRAPH_IRIS.values()}
    assert not any(isinstance(q.graph_name, ox.DefaultGraph) for q in quads)

    tbox = Graph().parse(layout.ontology_dir / "ketamine.ttl", format="turtle")
    asserted = compile_curation(curated)
    for graphs, norm in ((in_rdflib, lambda g: g), (in_oxigraph, numbers_by_value)):
        union = Graph()
        for g in graphs.values():
            for t in g:
                union.add(t)
        assert isomorphic(union, norm(full))
        assert isomorphic(graphs[str(GRAPH_IRIS["ontology"])], norm(tbox))
        assert isomorphic(graphs[str(GRAPH_IRIS["asserted"])], norm(asserted))
        inferred = graphs[str(GRAPH_IRIS["inferred"])]
        assert len(inferred) == len(full) - len(tbox) - len(asserted) > 0
        # What the reasoner and the rules add is there, and nothing a curator wrote is.
        assert any(p == URIRef(KK + "treats") for _, p, _ in inferred)
        assert not any(t in asserted for t in inferred)


def test_stale_graph_files_are_refused(project_copy: Layout) -> None:
    nt = project_copy.graph_file("nt")
    lines = nt.read_text(encoding="utf-8").splitlines(keepends=True)
    nt.write_text("".join(line for line in lines if "kk:pmid" not in line and "ontology#pmid>" not in line),
                  encoding="utf-8")
    with pytest.raises(ValidationFailed, match="out of date"):
        split_provenance(project_copy)


# --- property graphs --------------------------------------------------------------------------


def _edges(graph) -> dict[str, tuple[str, str, dict]]:
    return {d["id"]: (u, v, d) for u, v, d in graph.edges(data=True)}


def test_model_keeps_claims_with_their_evidence(model, known_claim) -> None:
    claim, pmids = known_claim
    node = model.nodes[f"kkr:{claim.id}"]
    # InformationContentEntity is abstract in Biolink 4.4.6: a claim is the evidence behind its edge.
    assert node["category"] == "biolink:Evidence"
    assert node["regulatoryStatus"] == "kk:StatusOffLabel"
    assert set(node["publications"].split("|")) >= pmids
    direct = [d for _, _, d in model.edges(data=True) if d.get("statement") == f"kkr:{claim.id}"]
    assert len(direct) == 1
    assert direct[0]["predicate"] == "biolink:studied_to_treat"
    assert direct[0]["evidenceLevel"] == node["evidenceLevel"]
    # An approved, supporting claim is a treats edge (Spravato's are the ones the README names).
    treats = [(u, v) for u, v, d in model.edges(data=True)
              if d["predicate"] == "biolink:treats" and d["relation"] == "kk:TherapeuticUseClaim"]
    assert treats and all(model.nodes[u]["category"] == "biolink:Drug" for u, _ in treats)


def test_graphml_reads_back_in_networkx_and_igraph(outputs, model, tmp_path: Path) -> None:
    path = tmp_path / "kk.graphml"
    path.write_bytes(outputs["graphml"])
    back = nx.read_graphml(path, force_multigraph=True)
    assert dict(back.nodes(data=True)) == dict(model.nodes(data=True))
    # The edge id is the XML id (networkx's key); the data key beside it is edge_id, not id.
    renamed = {k: (u, v, {("id" if a == "edge_id" else a): x for a, x in d.items()})
               for u, v, k, d in back.edges(keys=True, data=True)}
    assert renamed == _edges(model)
    assert all(d["edge_id"] == k for _, _, k, d in back.edges(keys=True, data=True))
    assert '<key id="d' in outputs["graphml"].decode() and 'attr.name="id"' not in outputs["graphml"].decode()

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # igraph warned about the old clashing "id" data key
        g = igraph.Graph.Read_GraphML(str(path))
    assert g.is_directed() and g.vcount() == model.number_of_nodes() and g.ecount() == model.number_of_edges()
    ids = g.vs["id"]
    assert sorted(ids) == sorted(model.nodes)
    for v in g.vs:
        expected = model.nodes[v["id"]]
        # igraph has no "missing" value: it fills absent text with "", numbers with NaN, and
        # booleans with False.
        got = {k: val for k, val in v.attributes().items() if k not in ("id", "edge_id") and val not in (None, "")
               and not (isinstance(val, float) and val != val) and not (val is False and k not in expected)}
        assert got == dict(expected)
    for e in g.es:
        u, v, d = _edges(model)[e["edge_id"]]
        assert (ids[e.source], ids[e.target]) == (u, v)
        assert e["relation"] == d["relation"] and e["predicate"] == d["predicate"]


def test_gexf_is_gexf_1_2_and_reads_back(outputs, model, tmp_path: Path) -> None:
    ns = {"g": "http://www.gexf.net/1.2draft"}
    root = ET.fromstring(outputs["gexf"])
    assert root.tag == "{http://www.gexf.net/1.2draft}gexf" and root.get("version") == "1.2"
    graph = root.find("g:graph", ns)
    assert graph.get("defaultedgetype") == "directed"
    declared = {}
    for block in graph.findall("g:attributes", ns):
        assert block.get("class") in {"node", "edge"}
        for a in block.findall("g:attribute", ns):
            assert a.get("type") in {"integer", "long", "double", "float", "boolean", "string", "liststring"}
            declared[(block.get("class"), a.get("id"))] = (a.get("title"), a.get("type"))
    casts = {"long": int, "integer": int, "double": float, "float": float, "string": str,
             "boolean": lambda s: {"true": True, "false": False}[s]}

    def values(element, cls: str) -> dict:
        out = {}
        for av in element.findall("g:attvalues/g:attvalue", ns):
            title, kind = declared[(cls, av.get("for"))]
            out[title] = casts[kind](av.get("value"))
        return out

    nodes = graph.findall("g:nodes/g:node", ns)
    assert len(nodes) == model.number_of_nodes() == len({n.get("id") for n in nodes})
    for n in nodes:
        expected = dict(model.nodes[n.get("id")])
        assert n.get("label") == expected.pop("label")
        assert values(n, "node") == expected
    edges = graph.findall("g:edges/g:edge", ns)
    by_id = _edges(model)
    assert len(edges) == len(by_id) == len({e.get("id") for e in edges})
    for e in edges:
        u, v, d = by_id[e.get("id")]
        assert (e.get("source"), e.get("target")) == (u, v)
        got = values(e, "edge")
        assert got.pop("networkx_key") == d["id"]
        assert got == {k: val for k, val in d.items() if k not in {"id", "label"}}

    path = tmp_path / "kk.gexf"
    path.write_bytes(outputs["gexf"])
    back = nx.read_gexf(path)
    assert set(back.nodes) == set(model.nodes) and back.number_of_edges() == model.number_of_edges()
    assert back.nodes["kkr:ketamine"]["label"] == model.nodes["kkr:ketamine"]["label"]


def _read_csv(path: Path, delimiter: str = ",") -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        if delimiter == "\t":
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        else:
            reader = csv.reader(handle)
        header, *rows = list(reader)
    assert all(len(r) == len(header) for r in rows)
    return header, [dict(zip(header, r)) for r in rows]


def test_neo4j_files_hold_every_node_and_relationship(folders, model, known_claim) -> None:
    folder = folders["neo4j"]
    assert sorted(p.name for p in folder.iterdir()) == ["load.cypher", "nodes.csv", "relationships.csv"]
    node_header, nodes = _read_csv(folder / "nodes.csv")
    rel_header, rels = _read_csv(folder / "relationships.csv")
    assert node_header[:2] == ["id:ID", ":LABEL"] and rel_header[:3] == [":START_ID", ":END_ID", ":TYPE"]
    for column in node_header[2:] + rel_header[3:]:  # neo4j-admin's name:type header format
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(:(long|double|boolean|string\[\]))?", column), column
    ids = [n["id:ID"] for n in nodes]
    assert len(ids) == len(set(ids)) == model.number_of_nodes()
    assert len(rels) == model.number_of_edges()
    assert all(r[":START_ID"] in set(ids) and r[":END_ID"] in set(ids) for r in rels)
    assert all(n[":LABEL"].split("|")[0] == "Resource" for n in nodes)  # the array delimiter
    # Several values are an array column (string[]), never a text that only looks like one.
    assert {"publications:string[]", "types:string[]", "source:string[]"} <= set(node_header)
    assert "publications:string[]" in rel_header

    claim, pmids = known_claim
    row = next(r for r in rels if r["statement"] == f"kkr:{claim.id}")
    assert row[":TYPE"] == "TherapeuticUseClaim"
    assert (row[":START_ID"], row[":END_ID"]) == (f"kkr:{claim.drug}", f"kkr:{claim.condition}")
    assert row["regulatoryStatus"] == "kk:StatusOffLabel" and row["evidenceLevel"].startswith("kk:Evidence")
    assert set(row["publications:string[]"].split("|")) >= pmids
    node = next(n for n in nodes if n["id:ID"] == f"kkr:{claim.id}")
    assert "TherapeuticUseClaim" in node[":LABEL"].split("|") and node["regulatoryStatus"] == "kk:StatusOffLabel"


def test_cypher_script_uses_files_and_columns_that_exist(folders) -> None:
    folder = folders["neo4j"]
    headers = {name: _read_csv(folder / name)[0] for name in ("nodes.csv", "relationships.csv")}
    _, rels = _read_csv(folder / "relationships.csv")
    _, nodes = _read_csv(folder / "nodes.csv")
    script = (folder / "load.cypher").read_text(encoding="utf-8")
    statements = [s for s in re.split(r";\s*\n", script) if "LOAD CSV" in s]
    assert statements
    for statement in statements:
        (name,) = re.findall(r"FROM 'file:///([^']+)'", statement)
        assert name in headers, name
        for column in re.findall(r"row\.`([^`]+)`", statement):
            assert column in headers[name], (name, column)
    # Idempotent: every relationship is MERGEd on its id (never CREATEd), every node on its id.
    # (Checked by structure: no Neo4j could be installed here to run the script twice.)
    assert "CREATE (" not in script and "CREATE (a)" not in script
    merged = set(re.findall(r"MERGE \(a\)-\[r:`([^`]+)` \{id: row\.`id`\}\]->\(b\)", script))
    assert merged == {r[":TYPE"] for r in rels}
    assert all(re.search(r"MERGE \((n:Resource|a\)-\[r:`[^`]+`) \{id: row\.`id(:ID)?`\}", s)
               or "SET n:`" in s for s in statements)
    ids = [r["id"] for r in rels]
    assert len(ids) == len(set(ids))  # the MERGE key is unique
    # Array columns become Cypher lists (split), the rest keep their single value.
    for statement in statements:
        for column in re.findall(r"row\.`([^`]+)`", statement):
            if column.endswith(":string[]"):
                assert f"split(row.`{column}`, '|')" in statement, column
    set_labels = set(re.findall(r"SET n:`([^`]+)`", script))
    assert set_labels == {label for n in nodes for label in n[":LABEL"].split("|")} - {"Resource"}


def test_kgx_tsv_has_biolink_nodes_and_edges(folders, model, known_claim, curated: curation.Curation) -> None:
    folder = folders["kgx"]
    read = dict(sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)
    nodes = pd.read_csv(folder / "nodes.tsv", **read)
    edges = pd.read_csv(folder / "edges.tsv", **read)
    assert {"id", "category", "name", "provided_by"} <= set(nodes.columns)
    assert {"id", "subject", "predicate", "object", "knowledge_level", "agent_type",
            "primary_knowledge_source", "publications"} <= set(edges.columns)
    assert len(nodes) == nodes["id"].nunique() == model.number_of_nodes()
    assert len(edges) == edges["id"].nunique() == model.number_of_edges()
    assert set(edges["subject"]) | set(edges["object"]) <= set(nodes["id"])
    assert edges["id"].str.fullmatch(re.escape(KGX_EDGE_BASE) + r"[0-9a-f]{20}").all()  # IRIs, not keys
    ids = kgx_primary_ids(model)
    # Primary ids: Biolink's preferred prefix of the category where the graph maps the node exactly.
    by_id = nodes.set_index("id")
    for category, prefixes in (("biolink:Disease", ("MONDO:",)), ("biolink:Drug", ("CHEBI:", "DRUGBANK:")),
                               ("biolink:PhenotypicFeature", ("HP:",))):
        chosen = [i for n, i in ids.items() if model.nodes[n]["category"] == category and i != n]
        assert chosen and all(i.startswith(prefixes) for i in chosen), category
        assert all(n in by_id.loc[i, "xref"].split("|") for n, i in ids.items() if i in chosen)
    assert len(set(ids.values())) == len(ids)
    # A publication's primary id is its own PMID (Biolink's preferred prefix for an Article).
    articles = {n: i for n, i in ids.items() if model.nodes[n]["category"] == "biolink:Article"}
    with_pmid = [n for n in articles if model.nodes[n].get("pmid")]
    assert with_pmid and all(articles[n] == f"PMID:{model.nodes[n]['pmid']}" for n in with_pmid
                             if ids[n] != n)
    assert sum(ids[n] != n for n in with_pmid) >= len(with_pmid) - 2  # only a PMID two sources share stays
    # Otherwise only exact mappings become primary ids.
    for n, i in ids.items():
        if i != n and not i.startswith("PMID:"):
            assert any(i.split(":")[1] in iri for iri in str(model.nodes[n]["exactMatch"]).split("|")), (n, i)
    # No abstract Biolink category (InformationContentEntity, Entity ... in Biolink 4.4.6).
    assert not set(nodes["category"]) & {"biolink:InformationContentEntity", "biolink:Entity",
                                         "biolink:AdministrativeEntity", "biolink:StudyResult"}
    # A "|" inside one value is escaped (KGX splits every cell on "|" and has no escape of its own).
    piped = [d["label"] for _, d in model.nodes(data=True) if "|" in str(d.get("label", ""))]
    assert piped and all(label.replace("|", "%7C") in set(nodes["name"]) for label in piped)
    assert nodes["category"].str.startswith("biolink:").all() and edges["predicate"].str.startswith("biolink:").all()
    assert set(edges["knowledge_level"]) <= KNOWLEDGE_LEVELS and set(edges["agent_type"]) <= AGENT_TYPES
    assert set(edges["primary_knowledge_source"]) == {INFORES}
    for category in ("biolink:Drug", "biolink:Disease", "biolink:Publication", "biolink:PhenotypicFeature"):
        assert category in set(nodes["category"])
    for predicate in ("biolink:treats", "biolink:studied_to_treat", "biolink:has_adverse_event",
                      "biolink:contraindicated_in"):
        assert predicate in set(edges["predicate"]), predicate
    assert by_id.loc[ids["kkr:ketamine"], "category"] == "biolink:Drug"
    assert ids["kkr:ketamine"].startswith(("CHEBI:", "DRUGBANK:"))
    contraindication = curated.contraindications[0]
    row = edges[(edges["predicate"] == "biolink:contraindicated_in") & (edges["statement"] == f"kkr:{contraindication.id}")]
    assert list(row["subject"]) == [ids[f"kkr:{contraindication.drug}"]]
    assert contraindication.label in nodes.set_index("id").loc[row["object"].iloc[0], "name"]

    claim, pmids = known_claim
    row = edges[edges["statement"] == f"kkr:{claim.id}"].iloc[0]
    assert (row["subject"], row["object"]) == (ids[f"kkr:{claim.drug}"], ids[f"kkr:{claim.condition}"])
    assert row["predicate"] == "biolink:studied_to_treat" and row["original_predicate"] == "kk:TherapeuticUseClaim"
    assert row["regulatoryStatus"] == "kk:StatusOffLabel" and row["direction"].startswith("kk:")
    assert row["knowledge_level"] == "knowledge_assertion" and row["agent_type"] == "manual_agent"
    assert set(row["publications"].split("|")) >= pmids
    inferred = edges[edges["original_predicate"] == "kk:treats"]
    assert len(inferred) and set(inferred["knowledge_level"]) == {"logical_entailment"}


# --- determinism and the command line ---------------------------------------------------------


def test_export_is_deterministic(layout: Layout, outputs) -> None:
    # Another process with another hash seed must write the same bytes.
    code = ("import sys; from ketamine_kg.export.writer import export_bytes; from ketamine_kg.layout import find_layout;"
            "sys.stdout.buffer.write(export_bytes(find_layout(sys.argv[1]), 'graphml'))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    again = subprocess.run([sys.executable, "-c", code, str(layout.root)], capture_output=True, env=env, check=True)
    assert again.stdout == outputs["graphml"]


def _cli(args: list[str], layout: Layout, capsysbinary) -> tuple[int, bytes, str]:
    code = main([*args, "--root", str(layout.root)])
    out, err = capsysbinary.readouterr()
    return code, out, err.decode("utf-8")


@pytest.mark.parametrize("args, message", [
    (["--format", "ttl"], "unknown export format 'ttl'"),
    (["--format", "neo4j"], "give --output DIR"),
    (["--format", "kgx"], "give --output DIR"),
    ([], "Missing option '--format'"),
])
def test_cli_errors_are_one_line_with_exit_2(args, message, layout: Layout, capsysbinary) -> None:
    code, out, err = _cli(["export", *args], layout, capsysbinary)
    assert code == 2 and out == b""
    assert err.count("\n") == 1 and err.startswith("ketamine-kg: error:") and message in err


def test_cli_writes_files_and_stdout(layout: Layout, outputs, folders, tmp_path: Path, capsysbinary) -> None:
    code, out, err = _cli(["export", "--format", "ntriples", "-o", "-"], layout, capsysbinary)
    assert code == 0 and out == outputs["ntriples"] == layout.graph_file("nt").read_bytes()
    target = tmp_path / "kk.trig"
    target.write_text("an older export")
    code, out, err = _cli(["export", "--format", "trig", "--output", str(target)], layout, capsysbinary)
    assert code == 0, err
    assert target.read_bytes() == outputs["trig"] and b"wrote" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kk.trig"]  # no temporary files left

    folder = tmp_path / "neo"
    for _ in range(2):  # a second run replaces the earlier export
        code, out, err = _cli(["export", "--format", "neo4j", "-o", str(folder)], layout, capsysbinary)
        assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kk.trig", "neo"]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {
        p.name: p.read_bytes() for p in folders["neo4j"].iterdir()}


def test_cli_refuses_unsafe_outputs(layout: Layout, tmp_path: Path, capsysbinary) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("keep me")
    cases = [
        (["--format", "kgx", "-o", str(foreign)], "holds files this export did not make"),
        (["--format", "graphml", "-o", str(foreign)], "not a regular file"),
        (["--format", "turtle", "-o", str(tmp_path / "no-such-folder" / "x.ttl")], "does not exist"),
        (["--format", "turtle", "-o", str(layout.graph_file("turtle"))], "project's own files"),
    ]
    for args, message in cases:
        code, out, err = _cli(["export", *args], layout, capsysbinary)
        assert code == 2 and message in err and err.count("\n") == 1, err
    assert [p.name for p in foreign.iterdir()] == ["thesis.docx"]
    if Path("/proc/self").is_dir():  # a folder nobody, not even root, can create files in
        code, _, err = _cli(["export", "--format", "turtle", "-o", "/proc/kk.ttl"], layout, capsysbinary)
        assert code == 2 and "cannot write /proc/kk.ttl" in err and err.count("\n") == 1
    if os.geteuid() != 0:  # root can write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        code, _, err = _cli(["export", "--format", "turtle", "-o", str(locked / "x.ttl")], layout, capsysbinary)
        assert code == 2 and "cannot write" in err
