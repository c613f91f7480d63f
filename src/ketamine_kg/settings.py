"""Every environment variable the package reads, in one place: names, meanings and defaults.

The settings are read when asked for (:func:`settings`), not once at import, so a test or a
parent process that sets a variable is seen by the next call.

| variable | meaning | default |
|---|---|---|
| ``KETAMINE_KG_ROOT`` | the checkout (ontology/, graph/, queries/) | found from the working directory |
| ``KETAMINE_KG_GRAPH`` | the N-Triples file the explorer serves | the project's ``graph/ketamine-kg.nt`` |
| ``KETAMINE_KG_ENDPOINT`` | a SPARQL server the explorer reads instead (``viewer --endpoint``) | none |
| ``KETAMINE_KG_ENDPOINT_GRAPH`` | the named graph to read on that server | the one ``load`` writes |
| ``KETAMINE_KG_KGX_VENV`` | the venv with Biolink's ``kgx`` (tests, .ci/run) | ``~/.cache/ketamine-kg/kgx-venv`` |
| ``XDG_CACHE_HOME`` | where the user's caches go | ``~/.cache`` |

>>> s = Settings.from_environment({"KETAMINE_KG_ENDPOINT": "http://127.0.0.1:7878/query", "XDG_CACHE_HOME": "/c"})
>>> s.endpoint, s.root, s.cache_dir.as_posix()
('http://127.0.0.1:7878/query', None, '/c/ketamine-kg')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ENDPOINT", "Settings", "settings"]

ROOT = "KETAMINE_KG_ROOT"
GRAPH = "KETAMINE_KG_GRAPH"
ENDPOINT = "KETAMINE_KG_ENDPOINT"
ENDPOINT_GRAPH = "KETAMINE_KG_ENDPOINT_GRAPH"
KGX_VENV = "KETAMINE_KG_KGX_VENV"
XDG_CACHE_HOME = "XDG_CACHE_HOME"


@dataclass(frozen=True)
class Settings:
    """What the environment asks for; an unset or empty variable is its default."""

    root: Path | None
    graph: Path | None
    endpoint: str | None
    endpoint_graph: str | None
    kgx_venv: Path
    #: The package's own cache folder (the binder's verdicts), under ``$XDG_CACHE_HOME`` or ``~/.cache``.
    cache_dir: Path

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(name) or None

        cache_home = Path(get(XDG_CACHE_HOME) or Path("~/.cache").expanduser())
        root, graph, kgx_venv = get(ROOT), get(GRAPH), get(KGX_VENV)
        return cls(
            root=Path(root) if root else None,
            graph=Path(graph) if graph else None,
            endpoint=get(ENDPOINT),
            endpoint_graph=get(ENDPOINT_GRAPH),
            kgx_venv=Path(kgx_venv) if kgx_venv else Path("~/.cache/ketamine-kg/kgx-venv").expanduser(),
            cache_dir=cache_home / "ketamine-kg",
        )


def settings() -> Settings:
    """The settings as the environment holds them now."""
    return Settings.from_environment()
