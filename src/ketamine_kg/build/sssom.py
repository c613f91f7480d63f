"""The cross-references as an SSSOM mapping set (https://mapping-commons.github.io/sssom/).

SSSOM is how the ontology community exchanges mappings: one row per mapping, with its predicate
(skos exact, close, broad, narrow or related match), its justification (here always manual
curation) and where it was read. Tools such as sssom-py, OxO and the Ontology Lookup Service read
it, so the graph's identifiers can be reused without loading RDF.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ketamine_kg import __version__
from ketamine_kg.rdf.prefixes import compact_iri, converter, xref_prefixes
from ketamine_kg.rdf.vocabulary import BASE, KK, KKR
from ketamine_kg.schema.facts import MAPPING_PREDICATES

__all__ = ["Mapping_", "sssom_tsv"]

#: SSSOM's columns, in the order the specification lists them.
COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "see_also",
    "comment",
)
#: mapping kind -> SSSOM predicate_id, from the schema's MappingKind (never typed again here).
_PREDICATE = {kind: compact_iri(iri) for kind, iri in MAPPING_PREDICATES.items()}


@dataclass(frozen=True)
class Mapping_:  # noqa: N801 - "Mapping" is taken by collections.abc
    entity: str
    entity_label: str
    curie: str
    label_at_source: str
    source_url: str
    mapping: str = "exact"
    justification: str | None = None
    verified: bool = True
    #: Which release and file the identifier was read in (goes into the comment).
    source_detail: str | None = None
    #: The subject's IRI where it is not a curated resource (an ontology individual such as an
    #: effect measure); otherwise the subject is ``kkr:<entity>``.
    subject: str | None = None


def _metadata(prefixes: Mapping[str, str]) -> str:
    lines = [
        f"mapping_set_id: {BASE}mappings/ketamine-kg.sssom.tsv",
        f"mapping_set_version: {__version__}",
        "mapping_set_title: ketamine-kg cross-references to standard vocabularies",
        "license: https://creativecommons.org/licenses/by/4.0/",
        "mapping_provider: " + BASE,
        "curie_map:",
    ]
    lines += [f"  {prefix}: {uri}" for prefix, uri in sorted(prefixes.items())]
    return "".join(f"# {line}\n" for line in lines)


def sssom_tsv(mappings: Iterable[Mapping_]) -> str:
    """The mapping set as SSSOM/TSV text: a commented YAML header, then one row per mapping."""
    rows = sorted(mappings, key=lambda m: (m.entity, m.curie))
    used = {m.curie.partition(":")[0] for m in rows}
    known = xref_prefixes()
    prefixes = {p: known[p].uri_prefix for p in used if p in known}
    prefixes |= {
        "kk": str(KK),
        "kkr": str(KKR),
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "semapv": "https://w3id.org/semapv/vocab/",
    }
    out = io.StringIO()
    out.write(_metadata(prefixes))
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for m in rows:
        comment = m.justification or ""
        if m.source_detail:
            comment = (comment.rstrip(". ") + ". " if comment else "") + f"Read in: {m.source_detail}"
        if not m.verified:
            comment = ("UNVERIFIED. " + comment).strip()
        writer.writerow(
            [
                converter().compress_strict(m.subject or str(KKR[m.entity])),
                m.entity_label,
                _PREDICATE[m.mapping],
                m.curie,
                m.label_at_source,
                "semapv:ManualMappingCuration",
                m.source_url,
                comment,
            ]
        )
    return out.getvalue()
