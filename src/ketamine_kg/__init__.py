"""ketamine-kg: a cited, evidence-graded knowledge graph of ketamine in mental illness and addiction."""

from __future__ import annotations

__all__ = ["RELEASE_DATE", "__version__"]

#: One version for the package, the ontology's version IRI and the files under graph/.
__version__ = "0.1.0"
#: The date this version's graph files carry (dcterms:date); fixed so that builds are reproducible.
RELEASE_DATE = "2026-11-25"
