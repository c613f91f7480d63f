"""graph/COVERAGE.md says, per condition, which trials are in the graph and how many results each
has: its figures must be those of the curated data, and it must miss no study."""

from __future__ import annotations

import re
from collections import Counter

from ketamine_kg.build.curation import Curation
from ketamine_kg.layout import Layout


def test_coverage_page_counts_match_the_data(layout: Layout, curated: Curation) -> None:
    text = (layout.root / "graph" / "COVERAGE.md").read_text(encoding="utf-8")
    results = Counter(r.study for r in curated.results)
    studies = {s.id: s for s in curated.studies}

    cited = set(re.findall(r"`(study-[a-z0-9-]+)`", text))
    assert cited <= set(studies), f"unknown study ids: {sorted(cited - set(studies))}"
    assert set(studies) <= cited, f"studies missing from the page: {sorted(set(studies) - cited)}"

    in_graph = re.findall(r"in the graph: `(study-[a-z0-9-]+)` \((\d+) results?\)", text)
    table = re.findall(r"^\| [^|]+ \| `(study-[a-z0-9-]+)` \| [^|]+ \| [^|]+ \| (\d+) \|$", text, re.M)
    assert in_graph and table
    for study, count in in_graph + table:
        assert int(count) == results[study], (study, count, results[study])

    total = re.search(r"^\| \*\*All\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \|$", text, re.M)
    assert total is not None
    assert tuple(map(int, total.groups())) == (len(studies), sum(1 for s in studies if results[s]), len(curated.results))
