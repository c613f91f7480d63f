"""GENERATED from ontology/ketamine-kg.schema.yaml by `ketamine-kg schema --write`; do not edit.

One pydantic model per YAML section; the loader validates each record with it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from ketamine_kg.schema.model_support import Integer, Number, Record, Text, XrefId

__all__ = ["SECTIONS", "Sections", "Source", "Entity", "Claim", "Approval", "Schedule", "AdverseEffectAssociation", "Contraindication", "DoseRegimen", "Monitoring", "MechanismStatement", "Alternative", "Predictor", "LabelStatement", "Xref", "Study", "Result", "RiskOfBiasJudgement"]


class Source(Record):
    """A publication, drug label, regulatory document, guideline or web page."""
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    kind: Literal['journal-article', 'drug-label', 'regulatory-document', 'guideline', 'web-page']
    title: Annotated[Text, Field(pattern='\\S.*\\S.*\\S')]
    authors: Text | None = None
    year: Annotated[Integer, Field(ge=1900)] | None = None
    journal: Text | None = None
    pmid: Annotated[Text, Field(pattern='^[1-9]\\d{0,8}$')] | None = None
    doi: Annotated[Text, Field(pattern='^10\\.\\d{4,9}/\\S+$')] | None = None
    nct: Annotated[Text, Field(pattern='^NCT\\d{8}$')] | None = None
    url: Annotated[Text, Field(pattern='^https?://\\S+$')] | None = None
    design: Literal['meta-analysis', 'systematic-review', 'randomized-controlled-trial', 'open-label-trial', 'observational-study', 'case-series', 'review', 'drug-label', 'regulatory-decision', 'guideline', 'preclinical'] | None = None
    sample_size: Annotated[Integer, Field(ge=1)] | None = None
    verified: StrictBool = True
    note: Text | None = None


class Entity(Record):
    """A drug, condition, risk, treatment, target... Its `type` names one of the entity types below."""
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    type: Literal['Pharmacotherapy', 'Drug', 'DrugProduct', 'Psychotherapy', 'Neuromodulation', 'MedicalCondition', 'AdverseEffect', 'ClinicalSetting', 'AdministrationRoute', 'MolecularTarget', 'Mechanism', 'ResponsePredictor', 'Gene', 'RegulatoryAgency', 'Outcome']
    label: Annotated[Text, Field(pattern='\\S')]
    definition: Text | None = None
    synonyms: tuple[Text, ...] = ()
    active_ingredient: Text | None = None
    parent: Text | None = None
    category: Literal['acute', 'chronic', 'abuse-related'] | None = None
    gene: Text | None = None
    measures: Literal['depressive-symptoms', 'suicidal-ideation', 'suicidal-behaviour', 'anxiety-symptoms', 'ptsd-symptoms', 'ocd-symptoms', 'manic-symptoms', 'global-severity', 'substance-use', 'craving', 'withdrawal-symptoms', 'treatment-discontinuation', 'adverse-event', 'dissociative-symptoms', 'psychotic-symptoms', 'cognition', 'functioning', 'quality-of-life'] | None = None
    better_when: Literal['lower', 'higher'] | None = None
    time_to_event: StrictBool | None = None


class Claim(Record):
    """One finding about one drug form for one condition."""
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    drug: Text
    condition: Text
    evidence_level: Literal['meta-analysis', 'multiple-rcts', 'single-rct', 'nonrandomized', 'case-reports', 'preclinical']
    regulatory_status: Literal['approved', 'guideline-established', 'off-label', 'investigational']
    direction: Literal['supports', 'does-not-support']
    approvals: tuple[Text, ...] = ()
    sources: tuple[Text, ...] = Field(min_length=1)
    effect: Text | None = None
    dose: Text | None = None
    route: Text | None = None
    setting: Text | None = None
    population: Text | None = None
    comparator: Text | None = None
    note: Text | None = None


class Approval(Record):
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    product: Text
    agency: Text
    approval_date: datetime.date
    indication: Text | None = None
    indication_text: Text | None = None
    note: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)


class Schedule(Record):
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    drug: Text
    agency: Text
    schedule: Text
    sources: tuple[Text, ...] = Field(min_length=1)


class AdverseEffectAssociation(Record):
    """A drug's adverse effect, with its frequency where given."""
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    drug: Text
    effect: Text
    frequency_percent: Annotated[Number, Field(ge=0, le=100)] | None = None
    comparator_percent: Annotated[Number, Field(ge=0, le=100)] | None = None
    boxed_warning: StrictBool = False
    note: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)


class Contraindication(Record):
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    drug: Text
    label: Annotated[Text, Field(pattern='\\S')]
    condition: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)


class DoseRegimen(Record):
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    drug: Text
    route: Text
    phase: Literal['induction', 'maintenance', 'single-dose', 'anesthesia', 'repeated-dose']
    text: Text
    condition: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)


class Monitoring(Record):
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    drug: Text
    label: Annotated[Text, Field(pattern='\\S')]
    text: Text | None = None
    setting: Text | None = None
    mitigates: tuple[Text, ...] = ()
    program: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)


class MechanismStatement(Record):
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    drug: Text
    mechanism: Text
    evidence_level: Literal['meta-analysis', 'multiple-rcts', 'single-rct', 'nonrandomized', 'case-reports', 'preclinical']
    target: Text | None = None
    text: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)


class Alternative(Record):
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    treatment: Text
    condition: Text
    regulatory_status: Literal['approved', 'guideline-established', 'off-label', 'investigational']
    evidence_level: Literal['meta-analysis', 'multiple-rcts', 'single-rct', 'nonrandomized', 'case-reports', 'preclinical']
    note: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)


class Predictor(Record):
    """A finding about individual variability: a factor associated with response, harm or drug exposure (with the figure, n and kind of analysis), or a response rate."""
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    drug: Text
    text: Text
    evidence_level: Literal['meta-analysis', 'multiple-rcts', 'single-rct', 'nonrandomized', 'case-reports', 'preclinical']
    direction: Literal['supports', 'does-not-support']
    condition: Text | None = None
    predictor: Text | None = None
    finding_about: Literal['response', 'harm', 'pharmacokinetics'] | None = None
    predictor_role: Literal['predictor', 'moderator'] | None = None
    analysis_kind: Literal['individual-participant-data', 'meta-analysis', 'meta-regression', 'systematic-review', 'narrative-review', 'single-trial', 'secondary-analysis', 'open-label-study', 'observational-study', 'pharmacokinetic-study', 'in-vitro'] | None = None
    finding_outcome: Text | None = None
    outcome_as_defined: Text | None = None
    association: Literal['more', 'less', 'none', 'inconsistent'] | None = None
    effect_measure: Literal['odds-ratio', 'hazard-ratio', 'mean-difference', 'ls-mean-difference', 'smd-cohens-d', 'standardized-beta', 'regression-coefficient', 'correlation-r', 'sensitivity', 'percent-difference'] | None = None
    effect_value: Number | None = None
    effect_ci_lower: Number | None = None
    effect_ci_upper: Number | None = None
    effect_p_value: Annotated[Number, Field(ge=0, le=1)] | None = None
    effect_p_relation: Literal['equal', 'less-than'] | None = None
    n_analysed: Annotated[Integer, Field(ge=1)] | None = None
    finding_study: Text | None = None
    verified: StrictBool = True
    note: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)


class LabelStatement(Record):
    """What a drug label says about a special population (hepatic or renal impairment, older patients, pregnancy, lactation) or about clinical pharmacology (bioavailability, half-life, metabolism, interactions), with its figure where the label gives one and the label section."""
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    drug: Text
    topic: Literal['hepatic-impairment', 'renal-impairment', 'geriatric-use', 'pregnancy', 'lactation', 'drug-interaction', 'bioavailability', 'half-life', 'metabolism', 'elimination', 'distribution', 'absorption']
    text: Text
    route: Text | None = None
    figure_value: Number | None = None
    figure_lower: Number | None = None
    figure_upper: Number | None = None
    figure_unit: Text | None = None
    label_section: Annotated[Text, Field(pattern='^\\S')]
    genes: tuple[Text, ...] = ()
    verified: StrictBool = True
    note: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)


class Xref(XrefId, Record):
    """An identifier of a curated entity in an outside vocabulary, as read at source_url. Its id is made from the entity and the CURIE (xref-<entity>-<prefix>-<local>)."""
    entity: Text
    curie: Text
    label_at_source: Text
    source_url: Annotated[Text, Field(pattern='^https?://\\S+$')]
    source_detail: Text | None = None
    mapping: Literal['exact', 'close', 'broad', 'narrow', 'related'] = 'exact'
    verified: StrictBool = True
    justification: Text | None = None


class Study(Record):
    """A clinical trial, observational study or meta-analysis, as reported by its sources."""
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    design: Literal['randomized-controlled-trial', 'open-label-trial', 'non-randomized-trial', 'meta-analysis', 'ipd-meta-analysis', 'observational-study']
    label: Annotated[Text, Field(pattern='\\S')]
    registry_ids: tuple[Annotated[Text, Field(pattern='^(NCT\\d{8}|ACTRN\\d{14}|ISRCTN\\d{8}|(EUCTR|EudraCT ?)?\\d{4}-\\d{6}-\\d{2}(-[A-Z]{2})?|ChiCTR[-A-Za-z0-9]+|jRCT[a-z]?\\d+|IRCT[0-9A-Za-z]+|CTRI/\\d{4}/\\d+/\\d+)$')], ...] = ()
    allocation: Literal['randomized', 'non-randomized'] | None = None
    arms_design: Literal['parallel', 'crossover', 'randomized-withdrawal', 'single-arm'] | None = None
    blinding: Literal['double-blind', 'single-blind', 'rater-blind', 'open-label'] | None = None
    comparator_kind: Literal['saline-placebo', 'placebo', 'active-placebo', 'active-treatment', 'dose-comparison', 'none', 'mixed'] | None = None
    comparator: Text | None = None
    comparator_treatment: Text | None = None
    condition: Text | None = None
    population: Text | None = None
    drug: Text | None = None
    route: Text | None = None
    dose: Text | None = None
    schedule: Text | None = None
    n_randomized: Annotated[Integer, Field(ge=0)] | None = None
    phase: Text | None = None
    includes: tuple[Text, ...] = ()
    k_studies: Annotated[Integer, Field(ge=1)] | None = None
    n_participants: Annotated[Integer, Field(ge=0)] | None = None
    claims: tuple[Text, ...] = ()
    verified: StrictBool = True
    note: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)


class Result(Record):
    """One reported figure: one study, outcome, time point, measure, and contrast or arm."""
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    study: Text
    outcome: Text
    measure: Literal['mean-difference', 'ls-mean-difference', 'median-difference', 'smd-hedges-g', 'smd-cohens-d', 'smd', 'odds-ratio', 'risk-ratio', 'hazard-ratio', 'risk-difference', 'nnt', 'response-rate', 'remission-rate', 'relapse-rate', 'event-rate', 'mean-change', 'mean-score']
    instrument: Text | None = None
    outcome_definition: Text | None = None
    time_value: Annotated[Number, Field(ge=0)] | None = None
    time_unit: Literal['minute', 'hour', 'day', 'week', 'month'] | None = None
    time_from: Literal['first-dose', 'last-dose', 'randomization', 'baseline'] | None = None
    contrast: Text | None = None
    arm: Text | None = None
    arm_role: Literal['intervention', 'comparator'] | None = None
    value: Number | None = None
    ci_lower: Number | None = None
    ci_upper: Number | None = None
    ci_level: Annotated[Number, Field(ge=0, le=100)] | None = None
    se: Annotated[Number, Field(ge=0)] | None = None
    sd: Annotated[Number, Field(ge=0)] | None = None
    p_value: Annotated[Number, Field(ge=0, le=1)] | None = None
    p_value_relation: Literal['equal', 'less-than'] | None = None
    n_intervention: Annotated[Integer, Field(ge=0)] | None = None
    n_control: Annotated[Integer, Field(ge=0)] | None = None
    n: Annotated[Integer, Field(ge=0)] | None = None
    events: Annotated[Integer, Field(ge=0)] | None = None
    analysis_population: Text | None = None
    read_in: Text | None = None
    measures: Literal['depressive-symptoms', 'suicidal-ideation', 'suicidal-behaviour', 'anxiety-symptoms', 'ptsd-symptoms', 'ocd-symptoms', 'manic-symptoms', 'global-severity', 'substance-use', 'craving', 'withdrawal-symptoms', 'treatment-discontinuation', 'adverse-event', 'dissociative-symptoms', 'psychotic-symptoms', 'cognition', 'functioning', 'quality-of-life'] | None = None
    contrast_order: Literal['intervention-minus-comparator', 'comparator-minus-intervention', 'intervention-over-comparator', 'comparator-over-intervention', 'not-stated'] | None = None
    comparison: Literal['inert-placebo', 'active-placebo', 'active-treatment', 'dose-comparison', 'schedule-or-route-comparison', 'open-add-on', 'usual-care', 'co-intervention', 'no-comparator'] | None = None
    comparator_arm: Text | None = None
    endpoint_role: Literal['primary', 'secondary', 'post-hoc', 'not-stated'] | None = None
    subgroup: Text | None = None
    analysis_set: Literal['itt', 'mitt', 'full-analysis-set', 'per-protocol', 'completers', 'safety-set', 'not-stated'] | None = None
    harm: Text | None = None
    verified: StrictBool = True
    note: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)


class RiskOfBiasJudgement(Record):
    """One risk-of-bias judgement of one trial in one domain, as a systematic review printed it (Cochrane risk-of-bias tool 1 domains; RoB 2 where the review used it). Read in the review's table or figure, never inferred; source_url names the table read."""
    id: Annotated[Text, Field(pattern='^[a-z0-9]+(-[a-z0-9]+)*$')]
    judged_study: Text
    rob_tool: Literal['rob-1', 'rob-2']
    bias_domain: Literal['random-sequence-generation', 'allocation-concealment', 'blinding-participants-personnel', 'blinding-outcome-assessment', 'incomplete-outcome-data', 'selective-reporting', 'other-bias', 'randomization-process', 'deviations-from-intended-interventions', 'missing-outcome-data', 'measurement-of-the-outcome', 'selection-of-the-reported-result', 'overall']
    judgement: Literal['low', 'unclear', 'some-concerns', 'high']
    support: Text | None = None
    source_url: Annotated[Text, Field(pattern='^https?://\\S+$')]
    verified: StrictBool = True
    note: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)


#: YAML section -> record model.
SECTIONS: dict[str, type[Record]] = {
    "sources": Source,
    "entities": Entity,
    "claims": Claim,
    "approvals": Approval,
    "schedules": Schedule,
    "adverse_effects": AdverseEffectAssociation,
    "contraindications": Contraindication,
    "dose_regimens": DoseRegimen,
    "monitoring": Monitoring,
    "mechanisms": MechanismStatement,
    "alternatives": Alternative,
    "predictors": Predictor,
    "label_statements": LabelStatement,
    "xrefs": Xref,
    "studies": Study,
    "results": Result,
    "risk_of_bias": RiskOfBiasJudgement,
}


@dataclass
class Sections:
    """Every YAML section's records, each list typed by its section's model."""

    sources: list[Source] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    adverse_effects: list[AdverseEffectAssociation] = field(default_factory=list)
    contraindications: list[Contraindication] = field(default_factory=list)
    dose_regimens: list[DoseRegimen] = field(default_factory=list)
    monitoring: list[Monitoring] = field(default_factory=list)
    mechanisms: list[MechanismStatement] = field(default_factory=list)
    alternatives: list[Alternative] = field(default_factory=list)
    predictors: list[Predictor] = field(default_factory=list)
    label_statements: list[LabelStatement] = field(default_factory=list)
    xrefs: list[Xref] = field(default_factory=list)
    studies: list[Study] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    risk_of_bias: list[RiskOfBiasJudgement] = field(default_factory=list)

    def by_section(self) -> dict[str, list[Record]]:
        """Section name -> its records (the lists themselves, not copies), in the schema's order."""
        return {name: getattr(self, name) for name in SECTIONS}
