"""Compile curated records into RDF: one node per statement (the W3C n-ary relation pattern).

Which predicate a field becomes, and whether its value is a link, a vocabulary term or a typed
literal, is read from the schema (``schema_map.py``). Only what the schema cannot say is written
here: the labels built from other fields, conditions as classes, links to PubMed and doi.org,
and the mapping predicates of cross-references.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from ketamine_kg.build.curation import SECTION_CLASS, Curation
from ketamine_kg.rdf.iris import DOI_URL, PUBMED_URL
from ketamine_kg.rdf.prefixes import check_curie, expand_curie
from ketamine_kg.rdf.vocabulary import KK, KKR, OBOINOWL
from ketamine_kg.schema.curation_models import Entity
from ketamine_kg.schema.schema_map import CLASSES, ENUMS

__all__ = ["DIRECTION", "ENTITY_CLASS", "EVIDENCE", "STATUS", "compile_curation", "date_literal", "iri"]


def _meanings(enum: str) -> dict[str, URIRef]:
    return {value: URIRef(pv["meaning"]) for value, pv in ENUMS[enum].items() if pv["meaning"]}


ENTITY_CLASS = {name: URIRef(c["uri"]) for name, c in CLASSES.items() if c["entity_type"]}
EVIDENCE = _meanings("EvidenceLevel")
STATUS = _meanings("RegulatoryStatus")
DIRECTION = _meanings("Direction")
_MAPPING = _meanings("MappingKind")


def iri(slug: str) -> URIRef:
    """The IRI of a curated record.

    >>> str(iri("ketamine"))
    'https://w3id.org/ketamine-kg/resource/ketamine'
    """
    return KKR[slug]


def decimal_literal(value: float) -> Literal:
    # Always with a decimal point ("41.0"): rdflib's Turtle writer adds one anyway, so every
    # file we write holds the same lexical form. (Oxigraph normalises to "41" on loading.)
    text = format(Decimal(str(value)), "f")
    return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)


def date_literal(value: Any) -> Literal:
    """A calendar date as the ``xsd:dateTime`` of its midnight, with no time zone.

    The graph files are also the OWL release, and the OWL 2 datatype map has no ``xsd:date``
    (HermiT stops on it, and the OWL API's DL profile check rejects it); ``xsd:dateTime`` is in the
    map, and a dateTime without a zone orders and compares in SPARQL as the date did. The time part
    means nothing: the curated value is a date.

    >>> date_literal("2019-03-05")
    rdflib.term.Literal('2019-03-05T00:00:00', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#dateTime'))
    """
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return Literal(f"{text}T00:00:00", datatype=XSD.dateTime)


def _term(slot: dict[str, Any], value: Any) -> URIRef | Literal:
    kind = slot["kind"]
    if kind in ("entity", "record"):
        return iri(value)
    if kind == "enum":
        meaning = ENUMS[slot["range"]][value]["meaning"]
        return URIRef(meaning) if meaning else Literal(str(value))
    if kind == "integer":
        return Literal(value, datatype=XSD.integer)
    if kind == "decimal":
        return decimal_literal(value)
    if kind == "boolean":
        return Literal(bool(value))
    if kind == "date":
        return date_literal(value)
    if kind == "uri":
        return Literal(str(value), datatype=XSD.anyURI)
    return Literal(str(value))


class _Labels:
    """The labels of statements, built from the fields they connect."""

    def __init__(self, curation: Curation) -> None:
        self.entities = curation.entity_index
        self.sources = {s.id: s for s in curation.sources}
        self.studies = {s.id: s for s in curation.studies}

    def of(self, slug: str | None) -> str:
        entity = self.entities.get(slug or "")
        return entity.label if entity else (slug or "?")

    def cite(self, source_ids: tuple[str, ...]) -> str:
        source = self.sources.get(source_ids[0]) if source_ids else None
        if source is None:
            return ""
        who = (source.authors or "").replace(", et al.", " et al.").split(",")[0].strip()
        return " (" + ", ".join(p for p in (who, str(source.year or "")) if p) + ")" if (who or source.year) else ""

    def claim(self, c: Any) -> str:
        return f"{self.of(c.drug)} for {self.of(c.condition)}{self.cite(c.sources)}"

    def approval(self, a: Any) -> str:
        what = self.of(a.indication) if a.indication else (a.indication_text or "")
        return f"{self.of(a.agency)} approval of {self.of(a.product)} for {what} ({a.approval_date.isoformat()})"

    def predictor(self, p: Any) -> str:
        topic = self.of(p.predictor) if p.predictor else "response rate"
        return (
            f"{topic}: {self.of(p.drug)}"
            + (f" in {self.of(p.condition)}" if p.condition else "")
            + self.cite(p.sources)
        )

    def result(self, r: Any) -> str:
        study = self.studies.get(r.study)
        when = (
            f" at {r.time_value:g} {r.time_unit}{'s' if r.time_value != 1 else ''}"
            if r.time_value is not None and r.time_unit
            else ""
        )
        who = r.contrast or r.arm or ""
        return f"{study.label if study else r.study}: {self.of(r.outcome)}{when}, {r.measure}" + (
            f" ({who})" if who else ""
        )


_LABEL: dict[str, Callable[[_Labels, Any], str]] = {
    "Source": lambda w, s: s.title,
    "Claim": _Labels.claim,
    "Approval": _Labels.approval,
    "Schedule": lambda w, s: f"{w.of(s.drug)}: {s.schedule} ({w.of(s.agency)})",
    "AdverseEffectAssociation": lambda w, ae: f"{w.of(ae.effect)} with {w.of(ae.drug)}",
    "Contraindication": lambda w, ci: f"{w.of(ci.drug)} contraindicated: {ci.label}",
    "DoseRegimen": lambda w, d: f"{w.of(d.drug)}, {d.route}, {d.phase}",
    "MechanismStatement": lambda w, m: f"{w.of(m.drug)}: {w.of(m.mechanism)}",
    "Alternative": lambda w, a: f"{w.of(a.treatment)} as an alternative for {w.of(a.condition)}",
    "Predictor": _Labels.predictor,
    # "SPRAVATO (esketamine nasal spray): hepatic-impairment (8.6)": the section says where to look.
    "LabelStatement": lambda w, ls: f"{w.of(ls.drug)}: {ls.topic} ({ls.label_section})",
    "Xref": lambda w, x: f"{x.curie} for {w.of(x.entity)}",
    "Result": _Labels.result,
    "RiskOfBiasJudgement": lambda w, j: (
        f"{w.studies[j.judged_study].label if j.judged_study in w.studies else j.judged_study}: "
        f"{j.bias_domain.replace('-', ' ')}: {j.judgement} ({j.rob_tool})"
    ),
}


def _special(g: Graph, cls: str, node: URIRef, record: Any) -> None:
    """What a record adds beyond its fields' own triples."""
    if cls == "MedicalCondition":
        # Conditions are classes in a hierarchy (as in MONDO) and, by OWL 2 punning, also the
        # individuals that claims point at.
        g.add((node, RDF.type, OWL.Class))
        g.add((node, RDFS.subClassOf, iri(record.parent) if record.parent else KK.MedicalCondition))
    elif cls == "Source":
        if record.pmid:
            g.add((node, RDFS.seeAlso, URIRef(PUBMED_URL.format(record.pmid))))
        if record.doi:
            g.add((node, RDFS.seeAlso, URIRef(DOI_URL.format(record.doi))))
    elif cls == "Xref":
        entity = iri(record.entity)
        g.add((entity, OBOINOWL.hasDbXref, Literal(record.curie)))
        if check_curie(record.curie) is None:
            g.add((entity, _MAPPING[record.mapping], URIRef(expand_curie(record.curie))))


def compile_curation(curation: Curation) -> Graph:
    """The asserted graph: every curated record as triples (no ontology, no inferences).

    Complexity 16: the loop over every field of every record, with the fields written by hand
    (``compiled_by: code``) and empty values skipped; the special cases are in ``_special``.
    """
    g = Graph()
    labels = _Labels(curation)
    for section, rows in curation.records.items():
        for record in rows:
            cls = record.type if isinstance(record, Entity) else SECTION_CLASS[section]
            info = CLASSES[cls]
            node = iri(record.id)
            g.add((node, RDF.type, OWL.NamedIndividual))
            # A source's kind and an entity's type say its class; other records have their class's.
            if not any(s["uri"] == str(RDF.type) for s in info["slots"].values()):
                g.add((node, RDF.type, URIRef(info["uri"])))
            if cls in _LABEL:
                g.add((node, RDFS.label, Literal(_LABEL[cls](labels, record))))
            for name, slot in info["slots"].items():
                if slot["identifier"] or slot["designates_type"] or slot["compiled_by"] == "code" or not slot["uri"]:
                    continue
                value = getattr(record, name)
                values = value if isinstance(value, tuple) else (value,)
                for v in values:
                    if v is not None and v != "":
                        g.add((node, URIRef(slot["uri"]), _term(slot, v)))
            _special(g, cls, node, record)
    return g
