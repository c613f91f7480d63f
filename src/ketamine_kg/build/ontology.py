"""The ontology: load the hand-edited TBox, stamp its version, and reason over it with HermiT."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from ketamine_kg import RELEASE_DATE, __version__
from ketamine_kg.build.compile import date_literal
from ketamine_kg.errors import KetamineKGError, ValidationFailed, one_line
from ketamine_kg.rdf.vocabulary import KK, KKR, ONTOLOGY_IRI

__all__ = [
    "INFERRED_CLASSES",
    "INFERRED_PROPERTIES",
    "ReasonerUnavailable",
    "load_tbox",
    "reason",
    "reasoner_ready",
    "version_iri",
]

#: Defined classes whose members HermiT infers; the build keeps these inferred types.
INFERRED_CLASSES = (
    KK.ApprovedUseClaim,
    KK.EstablishedUseClaim,
    KK.InvestigationalUseClaim,
    KK.OffLabelUseClaim,
    KK.NegativeFindingClaim,
    KK.AlternativeTreatment,
)
#: Property chains whose values HermiT infers.
INFERRED_PROPERTIES = (KK.hasRisk, KK.isAlternativeFor)


class ReasonerUnavailable(KetamineKGError):
    """Java (needed by HermiT) is not installed."""

    exit_code = 9


def version_iri() -> URIRef:
    return URIRef(f"{ONTOLOGY_IRI}/{__version__}")


def load_tbox(path: Path) -> Graph:
    """The hand-edited ontology with the release's version IRI, version and date added."""
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises many parser-specific types
        raise ValidationFailed(f"{path.name}: cannot parse the ontology: {one_line(str(exc))}") from exc
    onto = URIRef(ONTOLOGY_IRI)
    graph.add((onto, OWL.versionIRI, version_iri()))
    graph.add((onto, OWL.versionInfo, Literal(__version__)))
    graph.add((onto, DCTERMS.date, date_literal(RELEASE_DATE)))
    return graph


def reasoner_ready(graph: Graph) -> Graph:
    """The part of ``graph`` a reasoner needs: every triple but the data's own values.

    This is what the build reasons over and what it ships as ``graph/ketamine-kg-reasoner.owl``,
    so a Protégé or owlready2 user runs HermiT on exactly the input the build's inferences came
    from. Dropped:

    * the values of data properties (``owl:DatatypeProperty``) on the graph's resources: notes,
      figures and flags of hundreds of study results take part in no class axiom, yet HermiT's
      datatype reasoning over about 16,000 of them takes minutes instead of seconds; their
      types and ranges are the generated SHACL shapes' job;
    * ``owl:imports``: owlready2 fetches every import over the network, and there is nothing to import.

    Kept: the whole ontology (with its own literals), every link between resources (the claims'
    statuses and evidence, which the defined classes and property chains read) and the
    resources' annotations (labels, synonyms, definitions), which a reasoner ignores and a
    Protégé user reads.
    """
    data = str(KKR)
    data_properties = set(graph.subjects(RDF.type, OWL.DatatypeProperty))
    copy = Graph()
    for s, p, o in graph:
        if p == OWL.imports:
            continue
        if isinstance(o, Literal) and p in data_properties and str(s).startswith(data):
            continue
        copy.add((s, p, o))
    return copy


def reason(graph: Graph) -> Graph:
    """Run HermiT (through owlready2) over ``graph``; return what it inferred that we keep.

    Kept: membership of our statements in the defined classes, the property-chain edges, and
    subsumptions between our own classes. Dropped: whatever owlready2 derives for punned condition
    IRIs (it reads their class axioms as types), which is not an inference about the data.

    :raises ValidationFailed: if the ontology plus graph is inconsistent or has an unsatisfiable class.
    :raises ReasonerUnavailable: if Java is missing.

    Complexity 16: Java missing, HermiT's failure, inconsistency and unsatisfiable classes each end in
    their own error, then one pass keeps what we keep of the inferences.
    """
    import owlready2  # heavy; only the build and validation need it

    if shutil.which("java") is None:
        raise ReasonerUnavailable("HermiT needs Java; install a JRE (e.g. apt-get install -y default-jre-headless)")
    fd, tmp = tempfile.mkstemp(suffix=".nt")
    os.close(fd)
    try:
        reasoner_ready(graph).serialize(tmp, format="nt", encoding="utf-8")
        world = owlready2.World()
        world.get_ontology(Path(tmp).as_uri()).load()
        before = set(world.as_rdflib_graph().triples((None, None, None)))
        try:
            owlready2.sync_reasoner_hermit(world, infer_property_values=True, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            raise ValidationFailed("HermiT: the ontology plus graph is inconsistent") from exc
        except Exception as exc:  # owlready2 wraps Java failures in CalledProcessError and others
            raise ValidationFailed(f"HermiT failed: {one_line(str(exc), 300)}") from exc
        unsatisfiable = sorted(str(c.iri) for c in world.inconsistent_classes() if c is not owlready2.Nothing)
        if unsatisfiable:
            raise ValidationFailed("HermiT: unsatisfiable classes: " + ", ".join(unsatisfiable))
        after = set(world.as_rdflib_graph().triples((None, None, None)))
    finally:
        Path(tmp).unlink(missing_ok=True)

    kept = Graph()
    ours = str(KK)
    for s, p, o in after - before:
        if p == RDF.type and o in INFERRED_CLASSES and str(s).startswith(str(KKR)):
            kept.add((s, p, o))
        elif p in INFERRED_PROPERTIES:
            kept.add((s, p, o))
        elif p == RDFS.subClassOf and str(s).startswith(ours) and str(o).startswith(ours) and (s, p, o) not in graph:
            kept.add((s, p, o))
    return kept
