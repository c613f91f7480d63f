"""``python -m ketamine_kg.viewer.launch APP [streamlit options]``: ``streamlit run`` with the
graph loading, projecting and laid out in a background thread from the first moment, while
Streamlit starts and the browser loads the page, so the first page does not wait for all of it.
"""

from __future__ import annotations

import sys
import threading

__all__ = ["main"]


def _warm() -> None:
    try:
        import os
        from pathlib import Path

        from ..layout import find_layout
        from . import data, evidence_map  # noqa: F401

        # The same path data.graph_path() gives the pages (which cache their layout in Streamlit).
        override = os.environ.get("KETAMINE_KG_GRAPH")
        data.warm(str(Path(override) if override else find_layout().graph_file("nt")))
    except Exception:  # the pages do the same work themselves and show any error there
        pass


def main(argv: list[str] | None = None) -> None:
    # Streamlit is imported before the thread starts: two threads importing it at once can see it
    # half-initialised.
    from streamlit.web import cli

    threading.Thread(target=_warm, name="ketamine-kg-warm", daemon=True).start()
    sys.argv = ["streamlit", "run", *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
