"""Compile curated records into RDF: one node per statement (the W3C n-ary relation pattern)."""

from __future__ import annotations

from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from .curation import Curation, Entity
from .vocabulary import KK, KKR, OBOINOWL, XREF_PREFIXES

__all__ = ["ENTITY_CLASS", "EVIDENCE", "STATUS", "DIRECTION", "compile_curation", "iri"]

ENTITY_CLASS = {
    "Drug": KK.Drug,
    "DrugProduct": KK.DrugProduct,
    "MedicalCondition": KK.MedicalCondition,
    "AdverseEffect": KK.AdverseEffect,
    "ClinicalSetting": KK.ClinicalSetting,
    "AdministrationRoute": KK.AdministrationRoute,
    "Pharmacotherapy": KK.Pharmacotherapy,
    "Psychotherapy": KK.Psychotherapy,
    "Neuromodulation": KK.Neuromodulation,
    "MolecularTarget": KK.MolecularTarget,
    "Mechanism": KK.Mechanism,
    "ResponsePredictor": KK.ResponsePredictor,
    "RegulatoryAgency": KK.RegulatoryAgency,
}
EVIDENCE = {
    "meta-analysis": KK.EvidenceMetaAnalysis,
    "multiple-rcts": KK.EvidenceMultipleRCTs,
    "single-rct": KK.EvidenceSingleRCT,
    "nonrandomized": KK.EvidenceNonRandomized,
    "case-reports": KK.EvidenceCaseReports,
    "preclinical": KK.EvidencePreclinical,
}
STATUS = {
    "approved": KK.StatusApproved,
    "guideline-established": KK.StatusGuidelineEstablished,
    "off-label": KK.StatusOffLabel,
    "investigational": KK.StatusInvestigational,
}
DIRECTION = {"supports": KK.Supports, "does-not-support": KK.DoesNotSupport}
_RISK_CATEGORY = {"acute": KK.AcuteRisk, "chronic": KK.ChronicRisk, "abuse-related": KK.AbuseRelatedRisk}
_SOURCE_CLASS = {
    "journal-article": KK.Publication,
    "drug-label": KK.DrugLabel,
    "regulatory-document": KK.RegulatoryDocument,
    "guideline": KK.Guideline,
    "web-page": KK.WebPage,
}
_DESIGN = {
    "meta-analysis": KK.MetaAnalysis,
    "systematic-review": KK.SystematicReview,
    "randomized-controlled-trial": KK.RandomizedControlledTrial,
    "open-label-trial": KK.OpenLabelTrial,
    "observational-study": KK.ObservationalStudy,
    "case-series": KK.CaseSeries,
    "review": KK.NarrativeReview,
    "drug-label": KK.LabelDocument,
    "regulatory-decision": KK.RegulatoryDecision,
    "guideline": KK.GuidelineDocument,
    "preclinical": KK.PreclinicalStudy,
}


def iri(slug: str) -> URIRef:
    """The IRI of a curated record.

    >>> str(iri("ketamine"))
    'https://w3id.org/ketamine-kg/resource/ketamine'
    """
    return KKR[slug]


class _Writer:
    def __init__(self, graph: Graph, curation: Curation) -> None:
        self.g = graph
        self.entities = curation.entity_index
        self.sources = {s.id: s for s in curation.sources}

    def text(self, subject: URIRef, predicate: URIRef, value: object, datatype: URIRef | None = None) -> None:
        if value is None or value == "":
            return
        if datatype is None:
            self.g.add((subject, predicate, Literal(str(value))))
        else:
            self.g.add((subject, predicate, Literal(value, datatype=datatype)))

    def decimal(self, subject: URIRef, predicate: URIRef, value: float | None) -> None:
        # Always with a decimal point ("41.0"): rdflib's Turtle writer adds one anyway, so every
        # file we write holds the same lexical form. (Oxigraph normalises to "41" on loading.)
        if value is not None:
            text = format(Decimal(str(value)), "f")
            self.g.add((subject, predicate, Literal(text if "." in text else text + ".0", datatype=XSD.decimal)))

    def link(self, subject: URIRef, predicate: URIRef, slug: str | None) -> None:
        if slug:
            self.g.add((subject, predicate, iri(slug)))

    def label_of(self, slug: str | None) -> str:
        entity = self.entities.get(slug or "")
        return entity.label if entity else (slug or "?")

    def cite(self, source_ids: tuple[str, ...]) -> str:
        source = self.sources.get(source_ids[0]) if source_ids else None
        if source is None:
            return ""
        who = (source.authors or "").replace(", et al.", " et al.").split(",")[0].strip()
        return " (" + ", ".join(p for p in (who, str(source.year or "")) if p) + ")" if (who or source.year) else ""

    def statement(self, slug: str, cls: URIRef, label: str, sources: tuple[str, ...]) -> URIRef:
        node = iri(slug)
        self.g.add((node, RDF.type, OWL.NamedIndividual))
        self.g.add((node, RDF.type, cls))
        self.g.add((node, RDFS.label, Literal(label)))
        for src in sources:
            self.g.add((node, KK.source, iri(src)))
        return node

    def entity(self, e: Entity) -> None:
        node = iri(e.id)
        cls = ENTITY_CLASS[e.type]
        if e.type == "MedicalCondition":
            # Conditions are classes in a hierarchy (as in MONDO) and, by OWL 2 punning, also the
            # individuals that claims point at.
            self.g.add((node, RDF.type, OWL.Class))
            self.g.add((node, RDFS.subClassOf, iri(e.parent) if e.parent else KK.MedicalCondition))
        self.g.add((node, RDF.type, OWL.NamedIndividual))
        self.g.add((node, RDF.type, cls))
        self.g.add((node, RDFS.label, Literal(e.label)))
        self.text(node, SKOS.definition, e.definition)
        for synonym in e.synonyms:
            self.g.add((node, SKOS.altLabel, Literal(synonym)))
        if e.category:
            self.g.add((node, KK.riskCategory, _RISK_CATEGORY[e.category]))
        self.link(node, KK.activeIngredient, e.active_ingredient)


def compile_curation(curation: Curation) -> Graph:
    """The asserted graph: every curated record as triples (no ontology, no inferences)."""
    g = Graph()
    w = _Writer(g, curation)
    for e in curation.entities:
        w.entity(e)

    for s in curation.sources:
        node = iri(s.id)
        g.add((node, RDF.type, OWL.NamedIndividual))
        g.add((node, RDF.type, _SOURCE_CLASS[s.kind]))
        g.add((node, RDFS.label, Literal(s.title)))
        w.text(node, DCTERMS.title, s.title)
        w.text(node, KK.authors, s.authors)
        w.text(node, KK.year, s.year, XSD.integer)
        w.text(node, KK.journal, s.journal)
        w.text(node, KK.pmid, s.pmid)
        w.text(node, KK.doi, s.doi)
        w.text(node, KK.nct, s.nct)
        w.text(node, KK.readAt, s.url, XSD.anyURI)
        w.text(node, KK.sampleSize, s.sample_size, XSD.integer)
        w.text(node, KK.note, s.note)
        g.add((node, KK.verified, Literal(s.verified)))
        if s.design:
            g.add((node, KK.studyDesign, _DESIGN[s.design]))
        if s.pmid:
            g.add((node, RDFS.seeAlso, URIRef(f"https://pubmed.ncbi.nlm.nih.gov/{s.pmid}/")))
        if s.doi:
            g.add((node, RDFS.seeAlso, URIRef(f"https://doi.org/{s.doi}")))

    for c in curation.claims:
        label = f"{w.label_of(c.drug)} for {w.label_of(c.condition)}{w.cite(c.sources)}"
        node = w.statement(c.id, KK.TherapeuticUseClaim, label, c.sources)
        w.link(node, KK.drug, c.drug)
        w.link(node, KK.condition, c.condition)
        g.add((node, KK.evidenceLevel, EVIDENCE[c.evidence_level]))
        g.add((node, KK.regulatoryStatus, STATUS[c.regulatory_status]))
        g.add((node, KK.direction, DIRECTION[c.direction]))
        for approval in c.approvals:
            w.link(node, KK.approval, approval)
        w.link(node, KK.route, c.route)
        w.link(node, KK.setting, c.setting)
        w.text(node, KK.doseText, c.dose)
        w.text(node, KK.population, c.population)
        w.text(node, KK.comparator, c.comparator)
        w.text(node, KK.effectSummary, c.effect)

    for a in curation.approvals:
        what = w.label_of(a.indication) if a.indication else (a.indication_text or "")
        label = f"{w.label_of(a.agency)} approval of {w.label_of(a.product)} for {what} ({a.date.isoformat()})"
        node = w.statement(a.id, KK.RegulatoryApproval, label, a.sources)
        w.link(node, KK.drug, a.product)
        w.link(node, KK.agency, a.agency)
        w.link(node, KK.condition, a.indication)
        w.text(node, KK.indicationText, a.indication_text)
        w.text(node, KK.note, a.note)
        g.add((node, KK.approvalDate, Literal(a.date, datatype=XSD.date)))

    for s in curation.schedules:
        node = w.statement(s.id, KK.ControlledSubstanceScheduling, f"{w.label_of(s.drug)}: {s.schedule} ({w.label_of(s.agency)})", s.sources)
        w.link(node, KK.drug, s.drug)
        w.link(node, KK.agency, s.agency)
        w.text(node, KK.scheduleLabel, s.schedule)

    for ae in curation.adverse_effects:
        node = w.statement(ae.id, KK.AdverseEffectAssociation, f"{w.label_of(ae.effect)} with {w.label_of(ae.drug)}", ae.sources)
        w.link(node, KK.drug, ae.drug)
        w.link(node, KK.adverseEffect, ae.effect)
        w.decimal(node, KK.frequencyPercent, ae.frequency_percent)
        w.decimal(node, KK.comparatorFrequencyPercent, ae.comparator_percent)
        g.add((node, KK.boxedWarning, Literal(ae.boxed_warning)))
        w.text(node, KK.note, ae.note)

    for ci in curation.contraindications:
        node = w.statement(ci.id, KK.Contraindication, f"{w.label_of(ci.drug)} contraindicated: {ci.label}", ci.sources)
        w.link(node, KK.drug, ci.drug)
        w.link(node, KK.condition, ci.condition)
        w.text(node, KK.requirementText, ci.label)

    for d in curation.dose_regimens:
        node = w.statement(d.id, KK.DoseRegimen, f"{w.label_of(d.drug)}, {d.route}, {d.phase}", d.sources)
        w.link(node, KK.drug, d.drug)
        w.link(node, KK.route, d.route)
        w.link(node, KK.condition, d.condition)
        w.text(node, KK.phase, d.phase)
        w.text(node, KK.doseText, d.text)

    for m in curation.monitoring:
        node = w.statement(m.id, KK.MonitoringRequirement, m.label, m.sources)
        w.link(node, KK.drug, m.drug)
        w.link(node, KK.setting, m.setting)
        for risk in m.mitigates:
            w.link(node, KK.mitigates, risk)
        w.text(node, KK.requirementText, m.text)
        w.text(node, KK.program, m.program)

    for m in curation.mechanisms:
        node = w.statement(m.id, KK.MechanismStatement, f"{w.label_of(m.drug)}: {w.label_of(m.mechanism)}", m.sources)
        w.link(node, KK.drug, m.drug)
        w.link(node, KK.mechanism, m.mechanism)
        w.link(node, KK.target, m.target)
        w.text(node, KK.effectSummary, m.text)
        g.add((node, KK.evidenceLevel, EVIDENCE[m.evidence_level]))

    for alt in curation.alternatives:
        label = f"{w.label_of(alt.treatment)} as an alternative for {w.label_of(alt.condition)}"
        node = w.statement(alt.id, KK.AlternativeTreatmentStatement, label, alt.sources)
        w.link(node, KK.treatment, alt.treatment)
        w.link(node, KK.condition, alt.condition)
        g.add((node, KK.regulatoryStatus, STATUS[alt.regulatory_status]))
        g.add((node, KK.evidenceLevel, EVIDENCE[alt.evidence_level]))
        w.text(node, KK.note, alt.note)

    for p in curation.predictors:
        topic = w.label_of(p.predictor) if p.predictor else "response rate"
        label = f"{topic}: {w.label_of(p.drug)}" + (f" in {w.label_of(p.condition)}" if p.condition else "") + w.cite(p.sources)
        node = w.statement(p.id, KK.ResponsePredictorFinding, label, p.sources)
        w.link(node, KK.drug, p.drug)
        w.link(node, KK.condition, p.condition)
        w.link(node, KK.predictor, p.predictor)
        w.text(node, KK.effectSummary, p.text)
        g.add((node, KK.evidenceLevel, EVIDENCE[p.evidence_level]))
        g.add((node, KK.direction, DIRECTION[p.direction]))

    for x in curation.xrefs:
        node = iri(x.id)
        entity = iri(x.entity)
        g.add((node, RDF.type, OWL.NamedIndividual))
        g.add((node, RDF.type, KK.CrossReference))
        g.add((node, RDFS.label, Literal(f"{x.curie} for {w.label_of(x.entity)}")))
        g.add((node, KK.entity, entity))
        g.add((node, KK.curie, Literal(x.curie)))
        g.add((node, KK.labelAtSource, Literal(x.label_at_source)))
        g.add((node, KK.readAt, Literal(x.source_url, datatype=XSD.anyURI)))
        g.add((entity, OBOINOWL.hasDbXref, Literal(x.curie)))
        prefix, _, local = x.curie.partition(":")
        if prefix in XREF_PREFIXES:
            g.add((entity, SKOS.exactMatch, URIRef(XREF_PREFIXES[prefix][1].format(local))))
    return g
