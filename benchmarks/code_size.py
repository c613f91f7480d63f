"""Lines of code by job, at two revisions side by side (issue 11's before/after table).

Groups are fixed here so both revisions are counted the same way:

* infrastructure: what any SPARQL service needs and a library could supply (HTTP client and
  server, worker process, query guard, parameter binding, results parsing and rendering, RDF
  input, CURIE handling, the command line's plumbing);
* domain: curation, schema, ontology, build, validation, queries' catalogue, analysis, pooling,
  exports, diff;
* viewer: the Streamlit explorer;
* generated: files ``ketamine-kg schema --write`` writes (not edited by hand).

    python benchmarks/code_size.py --before 69dc5cb [--after HEAD]
"""

from __future__ import annotations

import argparse
import subprocess

INFRASTRUCTURE = ("remote", "server", "worker", "engine", "binding", "sparql_guard", "results", "rdf_input",
                  "prefixes", "cli", "pool_cli", "errors", "layout", "__main__", "__init__")
GENERATED = ("schema_map", "curation_models")


def _group(path: str) -> str:
    if path.startswith("src/ketamine_kg/viewer/"):
        return "viewer"
    stem = path.rsplit("/", 1)[-1].removesuffix(".py")
    if stem in GENERATED:
        return "generated"
    if stem in INFRASTRUCTURE or stem.startswith(("remote_", "server_", "worker_", "cli_", "results_")):
        return "infrastructure"
    return "domain"


def count(rev: str) -> tuple[dict[str, int], list[tuple[int, str]]]:
    names = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, "src/ketamine_kg"], check=True,
                           capture_output=True, text=True).stdout.split()
    groups: dict[str, int] = {}
    sizes = []
    for name in names:
        if not name.endswith(".py"):
            continue
        text = subprocess.run(["git", "show", f"{rev}:{name}"], check=True, capture_output=True,
                              text=True).stdout
        lines = text.count("\n")
        group = _group(name)
        groups[group] = groups.get(group, 0) + lines
        if group != "generated":
            sizes.append((lines, name.removeprefix("src/ketamine_kg/")))
    return groups, sorted(sizes, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", default="HEAD")
    args = parser.parse_args()
    results = {rev: count(rev) for rev in (args.before, args.after)}
    print(f"{'lines':<16}" + "".join(f"{rev:>12}" for rev in results))
    for group in ("infrastructure", "domain", "viewer", "generated"):
        print(f"{group:<16}" + "".join(f"{r[0].get(group, 0):>12,}" for r in results.values()))
    for rev, (_, sizes) in results.items():
        over = [f"{name} {lines}" for lines, name in sizes if lines > 400]
        print(f"{rev}: largest {', '.join(f'{name} {lines}' for lines, name in sizes[:4])}; over 400 lines: {len(over)}"
              + (f" ({', '.join(over)})" if over else ""))


if __name__ == "__main__":
    main()
