"""The public side of ``ketamine-kg serve``: an ASGI app that guards every query, and the Oxigraph server behind it.

The app (Starlette, served by uvicorn) accepts only SPARQL protocol queries (GET and POST, at
``/query`` or ``/sparql``), runs :func:`~ketamine_kg.query.guard.check_read_only` on each,
refuses updates, ``LOAD`` and ``SERVICE`` with HTTP 400 and a plain message, and streams the
answer of the :class:`Upstream` Oxigraph server back (read with urllib3). A query past the time
limit is stopped by restarting Oxigraph; if its answer was already streaming, the stream ends with
an exception, so uvicorn drops the connection without the final chunk and the answer stays
visibly cut. Starting and stopping the processes is :mod:`ketamine_kg.server.process`'s job.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable

import anyio
import urllib3
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from ketamine_kg.errors import KetamineKGError, one_line
from ketamine_kg.query.guard import check_read_only

__all__ = ["MAX_BODY_BYTES", "Upstream", "guard_app"]

_QUERY_PATHS = ("/query", "/sparql")
_DATASET_PARAMS = ("default-graph-uri", "named-graph-uri")
#: A query sent by POST may be at most this long.
MAX_BODY_BYTES = 1_000_000


class Upstream:
    """The Oxigraph server behind the guard: its port, and how to stop a query it will not stop."""

    def __init__(self, port: int, timeout_s: float, restart: Callable[[], None] | None = None) -> None:
        self.port = port
        self.timeout_s = timeout_s
        self._restart = restart
        self._restart_lock = threading.Lock()
        self.ready = threading.Event()  # cleared while the server behind is restarting
        self.ready.set()
        self._pool = urllib3.PoolManager(maxsize=64, retries=False)

    def stop_running_queries(self) -> None:
        """Restart the server behind the guard: the only way to stop a query Oxigraph will not stop."""
        if self._restart is not None and self._restart_lock.acquire(blocking=False):
            self.ready.clear()
            try:
                self._restart()
            finally:
                self.ready.set()
                self._restart_lock.release()

    def open(self, body: bytes, accept: str) -> urllib3.BaseHTTPResponse:
        self.ready.wait(60)
        return self._pool.request(
            "POST",
            f"http://127.0.0.1:{self.port}/query",
            body=body,
            preload_content=False,
            redirect=False,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
            timeout=urllib3.Timeout(connect=self.timeout_s, read=self.timeout_s),
        )


class _Overran(Exception):
    """Raised inside a streamed answer: the server then drops the connection without the last chunk."""


def _plain(status: int, message: str) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status, headers={"Connection": "close"})


async def _params(request: Request) -> list[tuple[str, str]] | Response:
    """The request's SPARQL protocol parameters, or the refusal to send back."""
    url_params = urllib.parse.parse_qsl(request.url.query, keep_blank_values=True)
    if request.method == "GET":
        return url_params
    declared = request.headers.get("Content-Length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        return _plain(400, f"the request body must have a Content-Length of at most {MAX_BODY_BYTES:,} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return _plain(400, f"the request body must have a Content-Length of at most {MAX_BODY_BYTES:,} bytes")
    text = body.decode("utf-8", "replace")
    ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        return url_params + urllib.parse.parse_qsl(text, keep_blank_values=True)
    if ctype == "application/sparql-query":
        return [*url_params, ("query", text)]
    if ctype == "application/sparql-update" or any(k == "update" for k, _ in url_params):
        return _plain(400, "this server is read-only: updates are refused")
    return _plain(415, "send a SPARQL query as application/x-www-form-urlencoded or application/sparql-query")


def guard_app(upstream: Upstream) -> Starlette:
    """The public side of ``serve``: an ASGI app that guards every query and forwards it to ``upstream``."""

    async def endpoint(request: Request) -> Response:
        path = request.url.path
        if request.method not in ("GET", "POST"):
            return _plain(405, "this server is read-only: it answers SPARQL queries at /query")
        if path not in _QUERY_PATHS:
            if path in ("/update", "/store"):
                return _plain(400, "this server is read-only: updates and the Graph Store Protocol are refused")
            return _plain(404, "this server answers SPARQL queries at /query")
        params = await _params(request)
        if isinstance(params, Response):
            return params
        if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in params):
            return _plain(400, "this server is read-only: updates are refused")
        queries = [v for k, v in params if k == "query"]
        if len(queries) != 1:
            return _plain(400, "give exactly one 'query' parameter")
        try:
            check_read_only(queries[0])
        except KetamineKGError as exc:
            return _plain(400, f"query refused: {exc}")
        forward = urllib.parse.urlencode([(k, v) for k, v in params if k == "query" or k in _DATASET_PARAMS])
        return await _forward(upstream, forward.encode("utf-8"), request.headers.get("Accept"))

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)])


#: Answers up to this size are read whole in one thread call and sent with a Content-Length;
#: larger ones are streamed. Most named questions' answers are far smaller: one hop to a thread each.
_BUFFERED_BYTES = 1 << 20


async def _forward(upstream: Upstream, body: bytes, accept: str | None) -> Response:
    # Oxigraph's own --timeout-s does not stop every query (a COUNT over a cartesian product, or a
    # long streamed SELECT, runs on), so the guard keeps the time limit itself and restarts Oxigraph
    # to stop a query that overran.
    limit = upstream.timeout_s
    deadline = time.monotonic() + limit
    message = f"the query ran past this server's {limit:g} s time limit and was stopped"
    answer: urllib3.BaseHTTPResponse | None = None

    def read() -> bytes:
        assert answer is not None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock = getattr(answer.connection, "sock", None)
        if sock is not None:
            sock.settimeout(remaining)
        return answer.read1(1 << 16)

    def start() -> tuple[list[bytes], bool]:
        """Send the query and read up to _BUFFERED_BYTES of the answer; whether that was all of it."""
        nonlocal answer
        answer = upstream.open(body, accept or "application/sparql-results+json")
        chunks: list[bytes] = []
        size = 0
        while size < _BUFFERED_BYTES:
            chunk = read()
            if not chunk:
                return chunks, True
            chunks.append(chunk)
            size += len(chunk)
        return chunks, False

    try:
        first, complete = await anyio.to_thread.run_sync(start)
    except (urllib3.exceptions.TimeoutError, TimeoutError):
        if answer is not None:
            answer.close()
        await anyio.to_thread.run_sync(upstream.stop_running_queries)  # before answering: the next query finds it ready
        return _plain(503, message)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        if answer is not None:
            answer.close()
        return _plain(502, one_line(f"the SPARQL server behind this guard did not answer: {exc}", 300))
    assert answer is not None
    upstream_answer = answer
    headers = {h: answer.headers[h] for h in ("Content-Type", "Content-Disposition") if answer.headers.get(h)}
    if complete:
        upstream_answer.release_conn()
        return Response(b"".join(first), status_code=upstream_answer.status, headers=headers)

    async def stream() -> AsyncIterator[bytes]:
        finished = False
        try:
            for chunk in first:
                yield chunk
            while chunk := await anyio.to_thread.run_sync(read):
                yield chunk
            finished = True
        except (urllib3.exceptions.TimeoutError, TimeoutError):
            await anyio.to_thread.run_sync(upstream.stop_running_queries)
            yield f"\n{message}\n".encode()  # say why, then end without the last chunk: it reads as cut
            raise _Overran(message) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _Overran(str(exc)) from None  # the server behind died: leave the answer visibly cut
        finally:
            if not finished:  # cut, failed or the client left: the connection holds unread data
                upstream_answer.close()
            upstream_answer.release_conn()

    return StreamingResponse(stream(), status_code=upstream_answer.status, headers=headers)
