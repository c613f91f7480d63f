"""``python -m ketamine_kg.viewer.launch APP [streamlit options]``: ``streamlit run`` with the
graph loading, projecting and laid out in a background thread from the first moment, while
Streamlit starts and the browser loads the page, so the first page does not wait for all of it,
and with :data:`SERVER_OPTIONS` (before the caller's own), which keep a click's rerun short.
"""

from __future__ import annotations

import sys
import threading

__all__ = ["SERVER_OPTIONS", "main"]

SERVER_OPTIONS = [
    # Streamlit runs a full gc.collect() after every script run. With the graph's projection and
    # caches in memory that took 100-400 ms of every click (the script itself: 5-30 ms), holding
    # the GIL while the answer waited to be sent. Python's own generational collection still runs.
    "--runner.postScriptGC",
    "false",
    # The app's files do not change while it serves: no watcher thread polling them.
    "--server.fileWatcherType",
    "none",
    "--server.runOnSave",
    "false",
]


def _warm() -> None:
    try:
        from . import data, evidence_map  # noqa: F401

        # The same path the pages get (which cache their layout in Streamlit).
        data.warm(str(data.graph_path()))
    except Exception:  # the pages do the same work themselves and show any error there
        pass


def main(argv: list[str] | None = None) -> None:
    # Streamlit is imported before the thread starts: two threads importing it at once can see it
    # half-initialised.
    from streamlit import delta_generator
    from streamlit.web import cli

    # Streamlit's first element of the process checks whether it runs in a REPL with
    # inspect.stack(), which resolves the path of every loaded module: 100-300 ms of the first
    # page's first run. Here it is always ``streamlit run``, so the check (it only prints a
    # warning) is marked done.
    delta_generator._use_warning_has_been_displayed = True
    threading.Thread(target=_warm, name="ketamine-kg-warm", daemon=True).start()
    args = sys.argv[1:] if argv is None else argv
    # Options given on the command line come after these, so they still win.
    sys.argv = ["streamlit", "run", *args[:1], *SERVER_OPTIONS, *args[1:]]
    cli.main()


if __name__ == "__main__":
    main()
