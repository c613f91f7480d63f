"""The curated data, record by record, and the rules that catch curation mistakes."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from ketamine_kg.build import curation
from ketamine_kg.errors import CurationError
from ketamine_kg.layout import Layout
from ketamine_kg.build.validate import validate

BROKEN = sorted((Path(__file__).parent / "broken-curation").glob("*.yaml"))
CURATED = sorted((Path(__file__).resolve().parents[1] / "graph" / "curated").glob("*.yaml"))


@pytest.mark.parametrize("path", CURATED, ids=lambda p: p.name)
def test_curated_file_breaks_no_rule(path: Path, curated: curation.Curation) -> None:
    problems = [p for p in curation.check(curated) if p.where.startswith(path.name)]
    assert not problems, "\n".join(map(str, problems))


def test_every_claim_is_sourced_and_graded(curated: curation.Curation) -> None:
    assert curated.claims, "the graph holds therapeutic-use claims"
    sources = {s.id: s for s in curated.sources}
    for claim in curated.claims:
        assert claim.sources and all(s in sources for s in claim.sources), claim.id
        assert any(sources[s].pmid or sources[s].doi or sources[s].url for s in claim.sources), claim.id


def test_treats_only_for_approved_or_established(curated: curation.Curation) -> None:
    for claim in curated.claims:
        if claim.regulatory_status == "approved":
            assert claim.approvals, f"{claim.id} is approved but names no approval"


def test_seed_topics_are_covered(curated: curation.Curation) -> None:
    """Every point of the seed text has claims or records behind it."""
    conditions = {c.condition for c in curated.claims}
    for needed in ("treatment-resistant-depression", "post-traumatic-stress-disorder", "alcohol-use-disorder", "opioid-use-disorder"):
        assert needed in conditions, needed
    assert any(c.condition in ("suicidal-ideation", "mdd-with-acute-suicidal-ideation-or-behavior") for c in curated.claims)
    assert any(c.condition in ("generalized-anxiety-disorder", "social-anxiety-disorder", "anxiety-disorder") for c in curated.claims)
    assert any(ae.effect == "dissociation" for ae in curated.adverse_effects), "risks: dissociation"
    assert any(e.category == "abuse-related" for e in curated.entities), "risks: abuse and dependence"
    assert curated.monitoring, "administration and monitoring"
    assert curated.predictors, "individual variability"


def _expectation(path: Path) -> tuple[str, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    _, rule, record = first.split(maxsplit=2)[0:1] + first.removeprefix("# expect:").split()
    return rule, record


@pytest.mark.parametrize("broken", BROKEN, ids=lambda p: p.stem)
def test_curation_mistake_is_caught(broken: Path, project_copy: Layout) -> None:
    """Each broken fixture, dropped beside the real data, fails naming its record and rule."""
    rule, record = _expectation(broken)
    shutil.copy(broken, project_copy.curated / f"zz-{broken.name}")
    try:
        problems = curation.check(curation.load(project_copy.curated), today=dt.date(2026, 11, 25))
        messages = [str(p) for p in problems]
    except CurationError as exc:
        messages = [str(p) for p in getattr(exc, "problems", [exc])]
    assert any(rule in m and record in m for m in messages), messages


def test_validate_reports_curation_mistakes(project_copy: Layout) -> None:
    shutil.copy(BROKEN[0], project_copy.curated / "zz-broken.yaml")
    report = validate(project_copy, reasoner=False)
    assert not report.ok
    assert any(f.check.startswith("curation") for f in report.findings)


def test_unreadable_yaml_is_one_clear_error(project_copy: Layout) -> None:
    (project_copy.curated / "zz-bad.yaml").write_text("claims: [unclosed\n", encoding="utf-8")
    with pytest.raises(CurationError, match="zz-bad.yaml: cannot read YAML"):
        curation.load(project_copy.curated)
