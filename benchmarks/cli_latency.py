"""End-to-end latency of the command line on the shipped graph: median of N runs, with `python -c pass` beside it.

Each command is started as a user starts it (the installed ``ketamine-kg`` script, resolved past
any pyenv shim), output thrown away, wall-clock time from start to exit. Then where the time of
one ``query approved-uses`` goes: the imports of the command's own process (``python -X
importtime``, the largest), and the worker's start.

``--baseline-rev REV`` also runs each command with the package as committed at REV (``git archive``),
interleaved run by run with this checkout's, so a before/after comparison sees the same machine load.

Run: python benchmarks/cli_latency.py [--repeat 7] [--baseline-rev 69dc5cb]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def _interleaved(command: list[str], before: str, after: str, repeat: int) -> tuple[float, float, float]:
    """Median seconds of ``command`` with PYTHONPATH=before and =after, run by turns; and python -c pass."""
    def once(pythonpath: str) -> float:
        started = time.perf_counter()
        subprocess.run(command, env={**os.environ, "PYTHONPATH": pythonpath}, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        return time.perf_counter() - started

    once(before), once(after)
    old, new, bare = [], [], []
    for _ in range(repeat):
        old.append(once(before))
        new.append(once(after))
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - started)
    return statistics.median(old), statistics.median(new), statistics.median(bare)


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
    parser.add_argument("--baseline-rev", default=None, help="also time the package as committed at this revision")
    args = parser.parse_args()
    script = _script()
    print(f"load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    shown = " ".join(os.path.basename(p) for p in script)
    print(f"median of {args.repeat} runs (after one warm-up), seconds; command: {shown} ...")
    median, low, high = _median_s([sys.executable, "-c", "pass"], args.repeat)
    print(f"{'python -c pass':70s} {median:6.3f}  (min {low:.3f}, max {high:.3f})")
    for command in COMMANDS:
        median, low, high = _median_s([*script, *command], args.repeat)
        print(f"{'ketamine-kg ' + ' '.join(command):70s} {median:6.3f}  (min {low:.3f}, max {high:.3f})")
    print("\nlargest imports in the command's process (cumulative, python -X importtime), query approved-uses:")
    print("\n".join(_imports([*script, "query", "approved-uses"])))
    if args.baseline_rev:
        root = Path(__file__).resolve().parent.parent
        here = str(root / "src")
        with tempfile.TemporaryDirectory() as tmp:
            archive = subprocess.run(
                ["git", "archive", args.baseline_rev, "src"], cwd=root, capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
            print(f"\nbefore ({args.baseline_rev}) and after (this checkout), run by turns, median of {args.repeat}:")
            for command in COMMANDS[:2]:
                old, new, bare = _interleaved([*script, *command], str(Path(tmp) / "src"), here, args.repeat)
                print(f"{'ketamine-kg ' + ' '.join(command):50s} before {old:.3f} s, after {new:.3f} s "
                      f"(python -c pass {bare:.3f} s)")
    from ketamine_kg.query.engine import QueryWorker
    from ketamine_kg.layout import find_layout

    starts = []
    for _ in range(args.repeat):
        with QueryWorker(find_layout().graph_file("nt")) as worker:
            started = time.perf_counter()
            worker.run("ASK { ?s ?p ?o }")
            starts.append(time.perf_counter() - started)
    print(f"\nworker start (python -S: interpreter, imports, load of the graph, first ASK): "
          f"median {statistics.median(starts):.3f} s")


if __name__ == "__main__":
    with recorded("cli_latency"):
        main()
