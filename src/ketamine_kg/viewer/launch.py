"""``python -m ketamine_kg.viewer.launch APP [streamlit options]``: ``streamlit run`` with the
graph loading, projecting and laid out in a background thread from the first moment, while
Streamlit starts and the browser loads the page, so the first page does not wait for all of it,
and with :data:`SERVER_OPTIONS` (before the caller's own), which keep a click's rerun short.
"""

from __future__ import annotations

import sys
import threading

__all__ = ["BASE_URL_SCRIPT", "SERVER_OPTIONS", "BackendAtRoot", "main"]

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


#: Streamlit's frontend looks for its server under a deep link's own path first
#: (``/entity/_stcore/health`` and ``host-config``, then ``/_stcore/...``): two 404s, and two errors
#: in the browser's console, on every page opened by its URL. It asks only the root when the page
#: names it as the backend (``window.__streamlit.BACKEND_BASE_URL``, read once as its code loads),
#: so the app's HTML page names it, before Streamlit's own script.
BASE_URL_SCRIPT = b"<script>window.__streamlit = {BACKEND_BASE_URL: location.origin + '/'};</script>"
_NOT_PAGES = ("/_stcore/", "/static/", "/component/", "/media/", "/app/static/")


class BackendAtRoot:
    """ASGI middleware: every HTML page Streamlit serves gets :data:`BASE_URL_SCRIPT` at the start
    of its ``<head>`` (and its Content-Length put right); everything else passes untouched."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_NOT_PAGES) or "." in scope["path"].rsplit("/", 1)[-1]:
            await self.app(scope, receive, send)
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await _send_page(send, start, b"".join(chunks))

        await self.app(scope, receive, capture)


async def _send_page(send, start: dict, body: bytes) -> None:
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    is_html = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
    if is_html and b"<head>" in body and b"__streamlit" not in body:
        body = body.replace(b"<head>", b"<head>" + BASE_URL_SCRIPT, 1)
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _serve_pages_with_backend_at_root() -> None:
    """Add :class:`BackendAtRoot` to the middleware Streamlit's server is built with (innermost:
    it sees the page before compression)."""
    from starlette.middleware import Middleware
    from streamlit.web.server.starlette import starlette_app

    original = starlette_app.create_streamlit_middleware

    def with_backend_at_root() -> list[Middleware]:
        return [*original(), Middleware(BackendAtRoot)]

    starlette_app.create_streamlit_middleware = with_backend_at_root


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
    _serve_pages_with_backend_at_root()
    threading.Thread(target=_warm, name="ketamine-kg-warm", daemon=True).start()
    args = sys.argv[1:] if argv is None else argv
    # Options given on the command line come after these, so they still win.
    sys.argv = ["streamlit", "run", *args[:1], *SERVER_OPTIONS, *args[1:]]
    cli.main()


if __name__ == "__main__":
    main()
