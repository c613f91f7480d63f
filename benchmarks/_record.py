"""Keep what a benchmark prints: a copy goes to benchmarks/results/NAME.txt, headed by the command, date and machine.

The README quotes figures only from these files, so every figure it gives was written by a run,
not typed in. ``--no-record`` (or ``KETAMINE_KG_NO_RECORD=1``) prints without keeping.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

RESULTS = Path(__file__).resolve().parent / "results"


class _Tee:
    def __init__(self, *streams: TextIO) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def _revision() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=RESULTS.parent, timeout=10)
        return done.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def header(argv: list[str]) -> str:
    import pyoxigraph

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return "\n".join([
        f"# command: python {' '.join(argv)}",
        f"# date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, commit {_revision()}",
        f"# machine: {platform.machine()}, {os.cpu_count()} CPUs (shared), load average {load} at start",
        f"# python {platform.python_version()}, pyoxigraph {pyoxigraph.__version__}",
        "",
    ])


@contextlib.contextmanager
def recorded(name: str, argv: list[str] | None = None) -> Iterator[None]:
    """Print as usual; also write everything printed to ``benchmarks/results/NAME.txt`` (replaced on success)."""
    argv = [f"benchmarks/{name}.py", *(sys.argv[1:] if argv is None else argv)]
    if "--no-record" in argv or os.environ.get("KETAMINE_KG_NO_RECORD"):
        yield
        return
    RESULTS.mkdir(exist_ok=True)
    partial = RESULTS / f".{name}.txt.partial"
    with partial.open("w", encoding="utf-8") as out:
        out.write(header(argv))
        previous = sys.stdout
        sys.stdout = _Tee(previous, out)  # type: ignore[assignment]
        try:
            yield
        finally:
            sys.stdout = previous
    partial.replace(RESULTS / f"{name}.txt")
