"""Make graphs shaped like ketamine-kg, N times larger, for the scale and viewer benchmarks.

The shipped graph is copied N times: copy 0 is the graph itself, and copy i renames every curated
resource (``kkr:x`` -> ``kkr:x-gi``) while the ontology and its controlled vocabularies (evidence
levels, statuses, classes, properties) stay shared. So each copy has the same drugs, conditions,
claims, sources and risks, every named query runs unchanged with its default parameters (they
bind copy 0), and its answers grow with the copies that reach the same vocabulary.

Run: python benchmarks/generate.py --factor 100 --output /tmp/kk-x100.nt
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

_RESOURCE = re.compile(r"<https://w3id\.org/ketamine-kg/resource/([^>]+)>")
_ROOT = Path(__file__).resolve().parents[1]


def generate(factor: int, output: Path, source: Path | None = None) -> int:
    """Write ``factor`` renamed copies of ``source`` (N-Triples) to ``output``; return the triple count."""
    if factor < 1:
        raise ValueError("factor must be at least 1")
    source = source or _ROOT / "graph" / "ketamine-kg.nt"
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    curated = [line for line in lines if _RESOURCE.search(line)]
    template = "\n".join(curated) + "\n"
    tmp = output.with_name(f".{output.name}.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
        for i in range(1, factor):
            suffix = f"-g{i}>"
            out.write(_RESOURCE.sub(lambda m, s=suffix: f"<https://w3id.org/ketamine-kg/resource/{m.group(1)}{s}", template))
    tmp.replace(output)
    return len(lines) + (factor - 1) * len(curated)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, required=True, help="how many copies of the shipped graph")
    parser.add_argument("--output", type=Path, required=True, help="the N-Triples file to write")
    parser.add_argument("--source", type=Path, default=None, help="the graph to copy (default: graph/ketamine-kg.nt)")
    args = parser.parse_args(argv)
    try:
        count = generate(args.factor, args.output, args.source)
    except (OSError, ValueError) as exc:
        print(f"generate: error: {exc}", file=sys.stderr)
        return 2
    print(f"{count:,} triples -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
