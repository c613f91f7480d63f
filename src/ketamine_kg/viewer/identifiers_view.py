"""An entity's identifiers as OLS4 shows them: grouped by vocabulary, each identifier once, the
exact ones apart from the broader, narrower and related ones, each a link with its CURIE as text
(never a bare or escaped IRI)."""

from __future__ import annotations

from dataclasses import dataclass

from .text import md_link, md_text

__all__ = ["Identifier", "identifier_rows", "identifiers_md"]

#: Mapping predicates, strongest first: where one identifier is reached by several, the first wins.
_RELATIONS = {
    "skos:exactMatch": "exact",
    "skos:closeMatch": "close",
    "skos:broadMatch": "broader",
    "skos:narrowMatch": "narrower",
    "skos:relatedMatch": "related",
    "oboInOwl:hasDbXref": "cross-reference",
}
_WORDS = {
    "exact": "the same thing",
    "close": "nearly the same",
    "broader": "a broader term",
    "narrower": "a narrower term",
    "related": "a related term",
    "cross-reference": "cross-reference",
}


@dataclass(frozen=True)
class Identifier:
    """One outside identifier of an entity."""

    curie: str
    url: str
    vocabulary: str
    relation: str
    label_at_source: str = ""


def _curie_and_url(value: str) -> tuple[str, str] | None:
    from ketamine_kg.rdf.prefixes import converter, expand_curie

    if value.startswith(("http://", "https://")):
        curie = converter().compress(value)
        return (curie, value) if curie else (value, value)
    try:
        return value, expand_curie(value)
    except ValueError:
        return None


def identifier_rows(properties: list[dict[str, str]], at_source: dict[str, str]) -> list[Identifier]:
    """The identifiers among an entity's statements (``p`` and ``value``/``id`` as entity pages
    read them), each once under its strongest relation; ``at_source`` gives a CURIE's label there."""
    from ketamine_kg.rdf.prefixes import xref_prefixes

    names = {p: x.name for p, x in xref_prefixes().items()}
    found: dict[str, Identifier] = {}
    rank = list(_RELATIONS)
    for prop in sorted((p for p in properties if p["p"] in _RELATIONS), key=lambda p: rank.index(p["p"])):
        pair = _curie_and_url(prop["id"] or prop["value"])
        if pair is None or pair[0] in found:
            continue
        curie, url = pair
        prefix = curie.split(":", 1)[0] if not curie.startswith("http") else "other"
        found[curie] = Identifier(
            curie, url, names.get(prefix, prefix), _RELATIONS[prop["p"]], at_source.get(curie, "")
        )
    return sorted(found.values(), key=lambda i: (i.relation not in ("exact", "close"), i.vocabulary, i.curie))


def _item(i: Identifier) -> str:
    text = md_link(i.curie, i.url)
    if i.label_at_source:
        text += f" “{md_text(i.label_at_source)}”"
    return text


def identifiers_md(rows: list[Identifier]) -> str:
    """Two short lists: the identifiers of the same thing, then the broader, narrower and related
    ones with the relation in words; one line per vocabulary in each."""
    same = [i for i in rows if i.relation in ("exact", "close", "cross-reference")]
    other = [i for i in rows if i not in same]
    blocks = []
    for title, group in (("Identifiers", same), ("Related identifiers (not the same thing)", other)):
        if not group:
            continue
        vocabularies: dict[str, list[Identifier]] = {}
        for i in group:
            vocabularies.setdefault(i.vocabulary, []).append(i)
        lines = [
            f"- *{md_text(v)}:* "
            + ", ".join(
                _item(i) + ("" if i.relation == "exact" else f" ({md_text(_WORDS[i.relation])})") for i in items
            )
            for v, items in vocabularies.items()
        ]
        blocks.append(f"**{title}**\n\n" + "\n".join(lines))
    return "\n\n".join(blocks)
