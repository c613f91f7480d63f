"""Validate the graph: curated-record rules, SHACL shapes, HermiT, SPARQL checks, built files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from ketamine_kg.build import curation as _curation
from ketamine_kg.build.ontology import load_tbox, reason
from ketamine_kg.build.pipeline import rdflib_to_store
from ketamine_kg.errors import CurationError, KetamineKGError, UsageError
from ketamine_kg.layout import GRAPH_FILES, Layout
from ketamine_kg.query.engine import execute
from ketamine_kg.query.results import compact
from ketamine_kg.rdf.iris import ONTOLOGY_IRI
from ketamine_kg.rdf.user_files import UnsafeInput, parse_user_file
from ketamine_kg.rdf.vocabulary import SH

__all__ = ["Finding", "Report", "validate", "validate_graph"]

_RDFLIB_FORMAT = {"nt": "nt", "turtle": "turtle", "xml": "xml", "json-ld": "json-ld"}


@dataclass(frozen=True)
class Finding:
    """One violation: which check, which record, what is wrong."""

    check: str
    record: str
    message: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.record}: {self.message}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    triples: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings

    def text(self) -> str:
        lines = [f"validated {self.triples:,} triples"]
        lines += [f"  pass  {name}" for name in self.passed]
        failed_checks = sorted({f.check for f in self.findings})
        lines += [f"  FAIL  {name}" for name in failed_checks]
        if self.findings:
            lines.append("")
            lines += [str(f) for f in self.findings]
            lines.append("")
            lines.append(f"{len(self.findings)} violation(s) in {len(failed_checks)} check(s)")
        else:
            lines.append("all checks passed")
        return "\n".join(lines)


def _shacl(graph: Graph, shape_files: tuple[Path, ...]) -> list[Finding]:
    import pyshacl  # heavy; only validation needs it

    shapes = Graph()
    for path in shape_files:
        shapes.parse(path, format="turtle")
    _conforms, results, _text = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
    findings = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        value = results.value(result, SH.value)
        text = f"{compact_node(path)}: {message}" + (f" (value: {value})" if value is not None else "")
        findings.append(Finding("shacl", compact_node(focus), text))
    return sorted(findings, key=str)


def compact_node(node: object) -> str:
    from ketamine_kg.query.results import Term

    if isinstance(node, URIRef):
        return compact(Term.iri(str(node)))
    return str(node)


def _checks(graph: Graph, folder: Path) -> tuple[list[Finding], list[str]]:
    store = rdflib_to_store(graph)
    findings, passed = [], []
    for path in sorted(folder.glob("*-violation.rq")):
        result = execute(store, path.read_text(encoding="utf-8"))
        name = f"sparql:{path.stem}"
        if not result.rows:
            passed.append(name)
        for record in result.records():
            first = next(iter(record.values()), "?")
            rest = ", ".join(f"{k}={v}" for k, v in list(record.items())[1:])
            findings.append(Finding(name, first, rest or "violates the check"))
    return findings, passed


def validate_graph(graph: Graph, layout: Layout, *, reasoner: bool = True) -> Report:
    """SHACL, HermiT and the SPARQL checks on one graph (ontology included)."""
    report = Report(triples=len(graph))
    shacl = _shacl(graph, layout.shape_files)
    report.findings += shacl
    if not shacl:
        report.passed.append("shacl")
    if reasoner:
        try:
            reason(graph)
            report.passed.append("hermit: consistent, no unsatisfiable class")
        except KetamineKGError as exc:
            report.findings.append(Finding("hermit", "ontology+graph", str(exc)))
    findings, passed = _checks(graph, layout.checks)
    report.findings += findings
    report.passed += passed
    return report


def _built_files(layout: Layout) -> tuple[Graph | None, list[Finding], list[str]]:
    # Each downloadable file must parse and hold the same graph as the N-Triples file: this is
    # what catches a truncated or hand-edited release file.
    findings: list[Finding] = []
    graphs: dict[str, Graph] = {}
    for fmt, name in GRAPH_FILES.items():
        path = layout.graph_dir / name
        try:
            graphs[fmt] = Graph().parse(path, format=_RDFLIB_FORMAT[fmt])
        except FileNotFoundError:
            findings.append(Finding("built-files", name, "missing (run 'ketamine-kg build')"))
        except Exception as exc:  # each rdflib parser raises its own types
            findings.append(Finding("built-files", name, f"does not parse: {' '.join(str(exc).split())[:200]}"))
    reference = graphs.get("nt")
    if reference is not None:
        for fmt, graph in graphs.items():
            if len(graph) != len(reference):
                findings.append(
                    Finding(
                        "built-files",
                        GRAPH_FILES[fmt],
                        f"holds {len(graph)} triples, the N-Triples file {len(reference)}",
                    )
                )
    passed = [] if findings else ["built-files: every format parses to the same number of triples"]
    return reference, findings, passed


def validate(layout: Layout, graph_file: Path | None = None, *, reasoner: bool = True) -> Report:
    """Validate the project's graph (or ``graph_file``), and the curated records behind it.

    With no ``graph_file``: the curated-record rules, the built files under graph/, then the
    shapes, the reasoner and the checks on the built graph.
    """
    if graph_file is not None:
        try:
            graph = parse_user_file(graph_file)  # never fetches a remote @context or an XML entity
        except FileNotFoundError:
            raise UsageError(f"file not found: {graph_file}") from None
        # What the parser raises for a bad file; an unreadable one is already a UsageError, and
        # anything else is a bug that must not be reported as a finding about the file.
        except (SyntaxError, UnsafeInput) as exc:
            report = Report()
            report.findings.append(Finding("parse", str(graph_file), " ".join(str(exc).split())[:300]))
            return report
        if not any(graph.triples((None, RDF.type, None))):
            report = Report(triples=len(graph))
            report.findings.append(Finding("parse", str(graph_file), "no typed resources: not a ketamine-kg graph"))
            return report
        if (URIRef(ONTOLOGY_IRI), None, None) not in graph:
            graph += load_tbox(layout.tbox_source)
        return validate_graph(graph, layout, reasoner=reasoner)

    findings: list[Finding] = []
    passed: list[str] = []
    try:
        problems = _curation.check(_curation.load(layout.curated))
        findings += [Finding(f"curation:{p.rule}", p.where, p.detail) for p in problems]
    except CurationError as exc:
        listed = getattr(exc, "problems", None)
        if listed:
            findings += [Finding(f"curation:{p.rule}", p.where, p.detail) for p in listed]
        else:
            findings.append(Finding("curation", "graph/curated", str(exc)))
    if not findings:
        passed.append("curation: every record fits its section and its references resolve")
    built, file_findings, file_passed = _built_files(layout)
    findings += file_findings
    passed += file_passed
    if built is None:
        return Report(findings=findings, passed=passed)
    report = validate_graph(built, layout, reasoner=reasoner)
    report.findings = findings + report.findings
    report.passed = passed + report.passed
    return report
