"""Run Biolink's ``kgx`` command offline, against the Biolink model the ``biolink-model`` package ships.

``kgx`` fetches the model at import time: ``kgx.utils.kgx_utils`` builds ``bmt.Toolkit()``, whose
default schema and predicate map are URLs on GitHub, and ``kgx``'s ``config.yml`` points its JSON-LD
contexts (the Biolink prefix map among them) at URLs too. Without a network it crashes before it
reads a file. This runner changes nothing on disk: before it imports ``kgx.cli`` it

* makes ``bmt.toolkit.Toolkit``'s default schema the package's ``schema/biolink_model.yaml`` and its
  default predicate map an empty one (the map only serves ``kgx``'s mapping of non-Biolink
  predicates, which this export does not ask for);
* fills ``kgx.config``'s JSON-LD context cache: ``biolink`` with the package's
  ``prefixmaps/biolink-model-prefix-map.json``; ``monarch_context`` and ``obo_context`` (only a
  fallback for turning unknown IRIs into CURIEs) with the same map.

It is a standalone script, run with the Python of the environment where ``kgx`` and
``biolink-model`` are installed (``kgx`` pins old numpy, pyarrow and Sphinx, so the project keeps it
in a venv of its own, see the README)::

    <kgx-venv>/bin/python src/ketamine_kg/export/kgx_offline.py validate -i tsv kgx/nodes.tsv kgx/edges.tsv

Everything after the script name is ``kgx``'s own command line, except leading
``--prefix NAME=IRI`` options, which declare a prefix beside Biolink's (see :func:`offline`).
Do not pass ``--biolink-release``: that asks ``kgx`` for a URL again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def offline(extra_prefixes: dict[str, str] | None = None) -> Path:
    """Point bmt and kgx at the packaged Biolink model; return the schema file used.

    :param extra_prefixes: prefixes to declare beside Biolink's (the graph's own ``kk`` and ``kkr``:
        Biolink's map has no prefix for them, so ``kgx validate`` reports every such id, and
        ``kgx transform`` to RDF cannot expand them into IRIs).
    """
    import biolink_model
    import bmt.toolkit

    root = Path(list(biolink_model.__path__)[0])  # a namespace package: no __file__
    schema = root / "schema" / "biolink_model.yaml"
    prefix_map = json.loads((root / "prefixmaps" / "biolink-model-prefix-map.json").read_text("utf-8"))
    no_predicate_map: dict[str, list[object]] = {"predicate mappings": []}
    bmt.toolkit.REMOTE_PATH = str(schema)
    bmt.toolkit.PREDICATE_MAP = no_predicate_map
    # The defaults of __init__ were bound when bmt was imported: replace them.
    bmt.toolkit.Toolkit.__init__.__defaults__ = (str(schema), no_predicate_map)

    import kgx.config

    kgx.config.get_config()
    for name in ("biolink", "monarch_context", "obo_context"):
        kgx.config.jsonld_context_map[name] = dict(prefix_map) | dict(extra_prefixes or {})
    return schema


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    extra = {}
    while args and args[0] == "--prefix":
        # --prefix NAME=IRI, before kgx's own command: declare a prefix beside Biolink's.
        name, _, iri = args[1].partition("=")
        extra[name] = iri
        args = args[2:]
    offline(extra)
    from kgx.cli import cli

    try:
        cli.main(args=args, prog_name="kgx", standalone_mode=False)
    except SystemExit as exc:  # pragma: no cover - click's own exits
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
