"""Text for people: data shown literally in markdown, links only to web pages and entity pages,
sources as citations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from ketamine_kg.rdf.iris import DOI_URL, NCT_URL, PUBMED_URL

__all__ = ["ENTITY_PAGE", "EVIDENCE_LEVELS", "Citation", "entity_md", "entity_url", "md_link", "md_text"]

#: Evidence ranks (as the queries compute them) in words, for filters and charts.
EVIDENCE_LEVELS = {
    0: "preclinical",
    1: "case reports or expert opinion",
    2: "non-randomized studies",
    3: "single randomized trial",
    4: "multiple randomized trials",
    5: "meta-analysis of randomized trials",
}

#: The entity page's address inside the app: ``/entity?id=kkr:ketamine``.
ENTITY_PAGE = "/entity"


#: Every character markdown (or HTML) could read as syntax.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$])")


def md_text(text: str) -> str:
    """Text from the data shown literally, never as markdown or HTML (each special character
    backslash-escaped; one regular-expression pass, as an entity page escapes thousands of them)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def md_link(text: str, url: str) -> str:
    """A markdown link to a web address (never javascript: or data:); characters that would end
    the link early are percent-encoded. Anything else is shown as plain text."""
    if url.startswith(ENTITY_PAGE + "?"):
        return f"[{md_text(text)}]({quote(url, safe='/?=&%')})"
    if not url.lower().startswith(("http://", "https://")):
        return md_text(text)
    return f"[{md_text(text)}]({quote(url, safe=':/?#[]@!$&*+,;=%~.-_')})"


def entity_url(curie: str) -> str:
    return f"{ENTITY_PAGE}?id={quote(curie, safe=':')}"


def entity_md(curie: str, label: str) -> str:
    """A label that links to its entity page."""
    return md_link(label, entity_url(curie))


@dataclass
class Citation:
    """One source as a reference list shows it."""

    curie: str
    title: str
    authors: str = ""
    year: str = ""
    journal: str = ""
    pmid: str = ""
    doi: str = ""
    nct: str = ""
    url: str = ""
    verified: bool = True
    extra: list[str] = field(default_factory=list)

    def links(self) -> list[tuple[str, str]]:
        out = []
        if self.pmid:
            out.append((f"PMID {self.pmid}", PUBMED_URL.format(self.pmid)))
        if self.doi:
            out.append((f"doi:{self.doi}", DOI_URL.format(self.doi)))
        if self.nct:
            out.append((self.nct, NCT_URL.format(self.nct)))
        if self.url and not (self.pmid or self.doi):
            out.append(("web page", self.url))
        return out

    def markdown(self) -> str:
        """Authors (year). *Title*. Journal. PMID · DOI links."""
        head = md_text(self.authors.rstrip(".")) + " " if self.authors else ""
        head += f"({md_text(self.year or 'n.d.')}). "
        title = md_text(self.title.rstrip("."))
        body = head + entity_md(self.curie, self.title.rstrip(".")) if title else head
        if self.journal:
            body += f". *{md_text(self.journal)}*"
        links = " · ".join(md_link(t, u) for t, u in self.links())
        flag = " · :orange[some details unverified]" if not self.verified else ""
        return body + "." + (f" {links}" if links else "") + flag


#: Every source's citation fields; bind ?entity to list one entity's sources.
CITATION_QUERY = """
SELECT ?entity ?source ?title ?authors ?year ?journal ?pmid ?doi ?nct ?url ?verified WHERE {
  ?entity kk:source ?source .
  ?source rdfs:label ?title .
  OPTIONAL { ?source kk:authors ?authors }
  OPTIONAL { ?source kk:year ?year }
  OPTIONAL { ?source kk:journal ?journal }
  OPTIONAL { ?source kk:pmid ?pmid }
  OPTIONAL { ?source kk:doi ?doi }
  OPTIONAL { ?source kk:nct ?nct }
  OPTIONAL { ?source kk:readAt ?url }
  OPTIONAL { ?source kk:verified ?verified }
} ORDER BY ?year ?title
"""


def citation_from(row: dict[str, str]) -> Citation:
    return Citation(
        curie=row["source"],
        title=row.get("title", row["source"]),
        authors=row.get("authors", ""),
        year=row.get("year", ""),
        journal=row.get("journal", ""),
        pmid=row.get("pmid", ""),
        doi=row.get("doi", ""),
        nct=row.get("nct", ""),
        url=row.get("url", ""),
        verified=row.get("verified", "true") == "true",
    )
