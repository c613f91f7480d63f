"""Write constraints.txt: the exact version of every distribution ``ketamine-kg[test]`` pulls in.

Run it on purpose, never as part of CI: in a new venv, install without the old pins, run the gates,
then freeze what passed and commit the diff (see README, "Pinned versions"):

    python -m venv /tmp/kk-refresh && . /tmp/kk-refresh/bin/activate
    python -m pip install -e ".[test]" && bash .ci/run
    python .ci/freeze_constraints.py > constraints.txt

It walks the installed distributions' requirements from ``ketamine-kg[test]`` (markers evaluated
for this interpreter), so the file names what this environment really has, not what a resolver
would pick on another day; the project itself is left out (pip cannot constrain an editable).
"""

from __future__ import annotations

import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HEADER = """\
# Exact versions of everything `pip install -e ".[test]"` installs, frozen from an environment in
# which `bash .ci/run` passed. .ci/run and the README's install commands use it (`-c constraints.txt`),
# so a new release of any library changes nothing until this file is refreshed on purpose:
# see .ci/freeze_constraints.py and the README's "Pinned versions". Generated: do not edit by hand.
"""


def closure(root: str, extras: set[str]) -> dict[str, str]:
    """Canonical name -> installed version, for ``root[extras]`` and everything it requires."""
    found: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(root, frozenset(extras))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, wanted = todo.pop()
        if (name, wanted) in seen:
            continue
        seen.add((name, wanted))
        dist = metadata.distribution(name)
        found[canonicalize_name(name)] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in (wanted or {""})):
                continue
            todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    return found


def main() -> int:
    pins = closure("ketamine-kg", {"test"})
    pins.pop("ketamine-kg")
    sys.stdout.write(HEADER + "".join(f"{name}=={version}\n" for name, version in sorted(pins.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
