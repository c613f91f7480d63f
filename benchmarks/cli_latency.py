"""End-to-end latency of the command line on the shipped graph: median of N runs, with `python -c pass` beside it.

Each command is started as a user starts it (the installed ``ketamine-kg`` script, resolved past
any pyenv shim), output thrown away, wall-clock time from start to exit. Then where the time of
one ``query approved-uses`` goes: the imports of the command's own process (``python -X
importtime``, the largest), and the worker's start.

Run: python benchmarks/cli_latency.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

from _record import recorded

COMMANDS = [
    ["query", "approved-uses"],
    ["query", "risks-of-drug", "-p", "drug=ketamine"],
    ["query", "alternatives-for-condition", "-p", "condition=post-traumatic-stress-disorder", "--format", "csv"],
    ["queries"],
]


def _script() -> list[str]:
    """The ketamine-kg entry point, run by this interpreter (a pyenv shim would add its own start-up)."""
    path = shutil.which("ketamine-kg")
    if path is None:
        return [sys.executable, "-m", "ketamine_kg"]
    with open(path, "rb") as handle:
        if handle.read(2) == b"#!" and b"python" in handle.readline():
            return [sys.executable, path]
    return [sys.executable, "-m", "ketamine_kg"]


def _median_s(command: list[str], repeat: int) -> tuple[float, float, float]:
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)  # warm the page cache
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), min(samples), max(samples)


def _imports(command: list[str], top: int = 8) -> list[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", *command[1:]], capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (part.strip() for part in line.split("|"))
            if cumulative.isdigit():
                rows.append((int(cumulative), name))
    rows.sort(reverse=True)
    return [f"  {us / 1000:7.1f} ms  {name}" for us, name in rows[:top]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    script = _script()
    print(f"median of {args.repeat} runs (after one warm-up), seconds; command: {' '.join(os.path.basename(p) for p in script)} ...")
    median, low, high = _median_s([sys.executable, "-c", "pass"], args.repeat)
    print(f"{'python -c pass':70s} {median:6.3f}  (min {low:.3f}, max {high:.3f})")
    for command in COMMANDS:
        median, low, high = _median_s([*script, *command], args.repeat)
        print(f"{'ketamine-kg ' + ' '.join(command):70s} {median:6.3f}  (min {low:.3f}, max {high:.3f})")
    print("\nlargest imports in the command's process (cumulative, python -X importtime), query approved-uses:")
    print("\n".join(_imports([*script, "query", "approved-uses"])))
    from ketamine_kg.engine import QueryWorker
    from ketamine_kg.layout import find_layout

    starts = []
    for _ in range(args.repeat):
        with QueryWorker(find_layout().graph_file("nt")) as worker:
            started = time.perf_counter()
            worker.run("ASK { ?s ?p ?o }")
            starts.append(time.perf_counter() - started)
    print(f"\nworker start (python -m ketamine_kg.worker: interpreter, imports, load of the graph, first ASK): "
          f"median {statistics.median(starts):.3f} s")


if __name__ == "__main__":
    with recorded("cli_latency"):
        main()
