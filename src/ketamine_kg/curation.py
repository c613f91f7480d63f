"""Load the curated YAML under ``graph/curated`` and check it record by record."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import CurationError
from .vocabulary import XREF_PREFIXES

__all__ = [
    "ENTITY_TYPES",
    "EVIDENCE_LEVELS",
    "REGULATORY_STATUSES",
    "Curation",
    "Problem",
    "check",
    "load",
]

_SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"

EntityType = Literal[
    "Drug", "DrugProduct", "MedicalCondition", "AdverseEffect", "ClinicalSetting",
    "AdministrationRoute", "Pharmacotherapy", "Psychotherapy", "Neuromodulation",
    "MolecularTarget", "Mechanism", "ResponsePredictor", "RegulatoryAgency",
]
ENTITY_TYPES: tuple[str, ...] = EntityType.__args__  # type: ignore[attr-defined]
EvidenceLevel = Literal[
    "meta-analysis", "multiple-rcts", "single-rct", "nonrandomized", "case-reports", "preclinical"
]
EVIDENCE_LEVELS: tuple[str, ...] = EvidenceLevel.__args__  # type: ignore[attr-defined]
RegulatoryStatus = Literal["approved", "guideline-established", "off-label", "investigational"]
REGULATORY_STATUSES: tuple[str, ...] = RegulatoryStatus.__args__  # type: ignore[attr-defined]
Direction = Literal["supports", "does-not-support"]
SourceKind = Literal["journal-article", "drug-label", "regulatory-document", "guideline", "web-page"]
Design = Literal[
    "meta-analysis", "systematic-review", "randomized-controlled-trial", "open-label-trial",
    "observational-study", "case-series", "review", "drug-label", "regulatory-decision",
    "guideline", "preclinical",
]


class _Record(BaseModel):
    # Unknown keys are an error: a misspelt field would otherwise drop a fact silently.
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=_SLUG)


class Source(_Record):
    kind: SourceKind
    title: str = Field(min_length=3)
    authors: str | None = None
    year: int | None = Field(default=None, ge=1900)
    journal: str | None = None
    pmid: str | None = Field(default=None, pattern=r"^[1-9]\d{0,8}$")
    doi: str | None = Field(default=None, pattern=r"^10\.\d{4,9}/\S+$")
    nct: str | None = Field(default=None, pattern=r"^NCT\d{8}$")
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    design: Design | None = None
    sample_size: int | None = Field(default=None, gt=0)
    verified: bool = True
    note: str | None = None

    @field_validator("pmid", mode="before")
    @classmethod
    def _pmid_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted PMID as a number; it is an identifier, so keep it as text.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Entity(_Record):
    type: EntityType
    label: str = Field(min_length=1)
    definition: str | None = None
    synonyms: tuple[str, ...] = ()
    parent: str | None = None
    category: Literal["acute", "chronic", "abuse-related"] | None = None
    active_ingredient: str | None = None


class _Sourced(_Record):
    sources: tuple[str, ...] = Field(min_length=1)


class Claim(_Sourced):
    drug: str
    condition: str
    evidence_level: EvidenceLevel
    regulatory_status: RegulatoryStatus
    direction: Direction
    approvals: tuple[str, ...] = ()
    route: str | None = None
    dose: str | None = None
    setting: str | None = None
    population: str | None = None
    comparator: str | None = None
    effect: str | None = None


class Approval(_Sourced):
    product: str
    agency: str
    date: _dt.date
    indication: str | None = None
    indication_text: str | None = None
    note: str | None = None


class Schedule(_Sourced):
    drug: str
    agency: str
    schedule: str


class AdverseEffect(_Sourced):
    drug: str
    effect: str
    frequency_percent: float | None = Field(default=None, ge=0, le=100)
    comparator_percent: float | None = Field(default=None, ge=0, le=100)
    boxed_warning: bool = False
    note: str | None = None


class Contraindication(_Sourced):
    drug: str
    label: str
    condition: str | None = None


class DoseRegimen(_Sourced):
    drug: str
    route: str
    phase: Literal["induction", "maintenance", "single-dose", "anesthesia", "repeated-dose"]
    text: str
    condition: str | None = None


class Monitoring(_Sourced):
    drug: str
    label: str
    text: str | None = None
    setting: str | None = None
    mitigates: tuple[str, ...] = ()
    program: str | None = None


class Mechanism(_Sourced):
    drug: str
    mechanism: str
    target: str | None = None
    text: str | None = None
    evidence_level: EvidenceLevel


class Alternative(_Sourced):
    treatment: str
    condition: str
    regulatory_status: RegulatoryStatus
    evidence_level: EvidenceLevel
    note: str | None = None


class Predictor(_Sourced):
    drug: str
    condition: str | None = None
    predictor: str | None = None
    text: str
    evidence_level: EvidenceLevel
    direction: Direction


class Xref(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    entity: str
    curie: str
    label_at_source: str
    source_url: str = Field(pattern=r"^https?://\S+$")

    @property
    def id(self) -> str:
        prefix, _, local = self.curie.partition(":")
        return "xref-" + self.entity + "-" + re.sub(r"[^a-z0-9]+", "-", f"{prefix}-{local}".lower()).strip("-")


#: Section name in the YAML files -> record model.
SECTIONS: dict[str, type[BaseModel]] = {
    "sources": Source,
    "entities": Entity,
    "claims": Claim,
    "approvals": Approval,
    "schedules": Schedule,
    "adverse_effects": AdverseEffect,
    "contraindications": Contraindication,
    "dose_regimens": DoseRegimen,
    "monitoring": Monitoring,
    "mechanisms": Mechanism,
    "alternatives": Alternative,
    "predictors": Predictor,
    "xrefs": Xref,
}


@dataclass(frozen=True)
class Problem:
    """One broken rule in one record."""

    where: str  #: ``file.yaml: section[index] id``
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.rule}: {self.detail}"


@dataclass
class Curation:
    """All curated records, by section, each remembering the file it came from."""

    records: dict[str, list[Any]] = field(default_factory=lambda: {k: [] for k in SECTIONS})
    origin: dict[tuple[str, str], str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> list[Any]:
        try:
            return self.__dict__["records"][name]
        except KeyError:
            raise AttributeError(name) from None

    def where(self, section: str, record: Any) -> str:
        return self.origin.get((section, _key(record)), "?") + f": {section} {_key(record)}"

    @property
    def entity_index(self) -> dict[str, Entity]:
        return {e.id: e for e in self.records["entities"]}


def _key(record: Any) -> str:
    return record.id


def load(folder: Path) -> Curation:
    """Read every ``*.yaml`` file in ``folder`` (sorted, so the result never depends on the disk).

    :raises CurationError: when a file cannot be read or parsed, or a record does not fit its
        section's model; the message names the file and the record.
    """
    if not folder.is_dir():
        raise CurationError(f"curated-data folder not found: {folder}")
    curation = Curation()
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CurationError(f"{path.name}: cannot read YAML: {_one_line(exc)}") from exc
        if not isinstance(data, dict):
            raise CurationError(f"{path.name}: expected sections (a mapping) at the top level")
        for section, rows in data.items():
            model = SECTIONS.get(section)
            if model is None:
                problems.append(Problem(path.name, "unknown-section", f"{section!r} (known: {', '.join(SECTIONS)})"))
                continue
            if not isinstance(rows, list):
                problems.append(Problem(f"{path.name}: {section}", "not-a-list", "a section is a list of records"))
                continue
            for index, row in enumerate(rows):
                label = row.get("id", row.get("entity", "")) if isinstance(row, dict) else ""
                where = f"{path.name}: {section}[{index}] {label}".rstrip()
                try:
                    record = model.model_validate(row)
                except ValidationError as exc:
                    for err in exc.errors():
                        loc = ".".join(str(p) for p in err["loc"]) or "record"
                        problems.append(Problem(where, "schema", f"{loc}: {err['msg']}"))
                    continue
                curation.records[section].append(record)
                curation.origin.setdefault((section, _key(record)), path.name)
    if problems:
        raise CurationError.from_problems(problems)
    return curation


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def check(curation: Curation, today: _dt.date | None = None) -> list[Problem]:
    """Check the rules that span records: unique IDs, references that resolve, types that fit,
    identifier patterns, no duplicate labels, no dates in the future."""
    today = today or _dt.date.today()
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    for section, rows in curation.records.items():
        for record in rows:
            rid = _key(record)
            if rid in ids:
                problems.append(Problem(curation.where(section, record), "duplicate-id", f"{rid!r} is also used in {ids[rid]}"))
            else:
                ids[rid] = curation.where(section, record)

    entities = curation.entity_index
    sources = {s.id for s in curation.sources}
    approvals = {a.id: a for a in curation.approvals}

    def need(section: str, record: Any, ref: str | None, types: tuple[str, ...], what: str) -> None:
        if ref is None:
            return
        entity = entities.get(ref)
        if entity is None:
            problems.append(Problem(curation.where(section, record), "dangling-reference", f"{what} {ref!r} is not a curated entity"))
        elif types and entity.type not in types:
            problems.append(Problem(curation.where(section, record), "wrong-type", f"{what} {ref!r} is a {entity.type}, expected {' or '.join(types)}"))

    drug_types = ("Drug", "DrugProduct")
    treatment_types = ("Drug", "DrugProduct", "Pharmacotherapy", "Psychotherapy", "Neuromodulation")
    for section, rows in curation.records.items():
        for record in rows:
            for src in getattr(record, "sources", ()):
                if src not in sources:
                    problems.append(Problem(curation.where(section, record), "dangling-source", f"source {src!r} is not in any sources section"))
    for e in curation.entities:
        if e.type == "MedicalCondition":
            need("entities", e, e.parent, ("MedicalCondition",), "parent")
        elif e.parent is not None:
            problems.append(Problem(curation.where("entities", e), "misplaced-field", "only a MedicalCondition has a parent"))
        if e.type == "DrugProduct":
            if e.active_ingredient is None:
                problems.append(Problem(curation.where("entities", e), "missing-field", "a DrugProduct names its active_ingredient"))
            need("entities", e, e.active_ingredient, ("Drug",), "active ingredient")
        if e.type == "AdverseEffect" and e.category is None:
            problems.append(Problem(curation.where("entities", e), "missing-field", "an AdverseEffect has a category"))
    for c in curation.claims:
        need("claims", c, c.drug, drug_types, "drug")
        need("claims", c, c.condition, ("MedicalCondition",), "condition")
        need("claims", c, c.route, ("AdministrationRoute",), "route")
        need("claims", c, c.setting, ("ClinicalSetting",), "setting")
        for a in c.approvals:
            if a not in approvals:
                problems.append(Problem(curation.where("claims", c), "dangling-reference", f"approval {a!r} is not curated"))
        if c.regulatory_status == "approved" and not c.approvals:
            problems.append(Problem(curation.where("claims", c), "approval-without-decision", "an approved use names the approval(s) behind it"))
        if c.approvals and c.regulatory_status != "approved":
            problems.append(Problem(curation.where("claims", c), "status-mismatch", "a claim with approvals has status 'approved'"))
    for a in curation.approvals:
        need("approvals", a, a.product, drug_types, "product")
        need("approvals", a, a.agency, ("RegulatoryAgency",), "agency")
        need("approvals", a, a.indication, ("MedicalCondition",), "indication")
        if a.indication is None and not a.indication_text:
            problems.append(Problem(curation.where("approvals", a), "missing-field", "an approval names an indication or gives indication_text"))
        if a.date > today:
            problems.append(Problem(curation.where("approvals", a), "future-date", f"{a.date.isoformat()} is after {today.isoformat()}"))
    for s in curation.schedules:
        need("schedules", s, s.drug, drug_types, "drug")
        need("schedules", s, s.agency, ("RegulatoryAgency",), "agency")
    for ae in curation.adverse_effects:
        need("adverse_effects", ae, ae.drug, drug_types, "drug")
        need("adverse_effects", ae, ae.effect, ("AdverseEffect",), "effect")
    for ci in curation.contraindications:
        need("contraindications", ci, ci.drug, drug_types, "drug")
        need("contraindications", ci, ci.condition, ("MedicalCondition",), "condition")
    for d in curation.dose_regimens:
        need("dose_regimens", d, d.drug, drug_types, "drug")
        need("dose_regimens", d, d.route, ("AdministrationRoute",), "route")
        need("dose_regimens", d, d.condition, ("MedicalCondition",), "condition")
    for m in curation.monitoring:
        need("monitoring", m, m.drug, drug_types, "drug")
        need("monitoring", m, m.setting, ("ClinicalSetting",), "setting")
        for risk in m.mitigates:
            need("monitoring", m, risk, ("AdverseEffect",), "mitigated risk")
    for m in curation.mechanisms:
        need("mechanisms", m, m.drug, drug_types, "drug")
        need("mechanisms", m, m.mechanism, ("Mechanism",), "mechanism")
        need("mechanisms", m, m.target, ("MolecularTarget",), "target")
    for alt in curation.alternatives:
        need("alternatives", alt, alt.treatment, treatment_types, "treatment")
        need("alternatives", alt, alt.condition, ("MedicalCondition",), "condition")
    for p in curation.predictors:
        need("predictors", p, p.drug, drug_types, "drug")
        need("predictors", p, p.condition, ("MedicalCondition",), "condition")
        need("predictors", p, p.predictor, ("ResponsePredictor",), "predictor")
    for x in curation.xrefs:
        need("xrefs", x, x.entity, (), "entity")
        prefix, sep, local = x.curie.partition(":")
        if not sep or prefix not in XREF_PREFIXES:
            problems.append(Problem(curation.where("xrefs", x), "unknown-prefix", f"{x.curie!r}: prefix must be one of {', '.join(XREF_PREFIXES)}"))
        elif not re.match(XREF_PREFIXES[prefix][0], local):
            problems.append(Problem(curation.where("xrefs", x), "identifier-pattern", f"{x.curie!r} does not match {prefix}'s pattern {XREF_PREFIXES[prefix][0]}"))
    for s in curation.sources:
        if s.year is not None and s.year > today.year:
            problems.append(Problem(curation.where("sources", s), "future-date", f"year {s.year} is after {today.year}"))
        if not (s.pmid or s.doi or s.url):
            problems.append(Problem(curation.where("sources", s), "unlocatable-source", "a source gives a PMID, a DOI or a URL"))
    labels: dict[tuple[str, str], str] = {}
    for e in curation.entities:
        key = (e.type, e.label.casefold())
        if key in labels:
            problems.append(Problem(curation.where("entities", e), "duplicate-label", f"{e.type} label {e.label!r} is also used by {labels[key]!r}"))
        else:
            labels[key] = e.id
    return problems
