"""HTTP for SPARQL servers: endpoint URLs, and one strict exchange (urllib3) that reads a whole answer or fails.

Kept apart from the query and load logic so that only commands that talk to a server import
urllib3 (and its TLS set-up): the embedded query path never does.
"""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import urllib3

from ketamine_kg.errors import EndpointError, QueryTimeout, UsageError, one_line

__all__ = ["MAX_ANSWER_BYTES", "Answer", "Endpoint", "form_body", "raise_for_status", "request", "says_timeout"]

#: An answer larger than this is refused rather than held in memory.
MAX_ANSWER_BYTES = 512 * 1024**2


@dataclass(frozen=True)
class Endpoint:
    """The URLs of one server: where queries, updates and Graph Store requests go.

    ``Endpoint.parse("http://127.0.0.1:7878")`` (an Oxigraph root) or ``.../query`` gives
    Oxigraph's layout (``/query``, ``/update``, ``/store``); any other URL (a Fuseki dataset,
    Virtuoso's ``/sparql``) is used for all three unless ``update``/``gsp`` are given.
    """

    query: str
    update: str
    gsp: str

    @classmethod
    def parse(cls, url: str, update: str | None = None, gsp: str | None = None) -> Endpoint:
        """:raises UsageError: for anything but an absolute http(s) URL with a host."""
        for u in (url, update, gsp):
            if u is not None:
                _check_url(u)
        parts = urllib.parse.urlsplit(url)
        path = parts.path.rstrip("/")
        if path in ("", "/query"):
            base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))
            return cls(base + "/query", update or base + "/update", gsp or base + "/store")
        return cls(url, update or url, gsp or url)


def _check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"endpoint must be an http:// or https:// URL with a host, got {url!r}")
    if any(c in url for c in " \t\r\n\x00"):
        raise UsageError(f"endpoint URL contains whitespace: {url!r}")
    try:
        _ = parts.port  # raises for a port that is not a number in range
    except ValueError:
        raise UsageError(f"endpoint URL has a bad port: {url!r}") from None


@dataclass
class Answer:
    status: int
    content_type: str
    server: str
    body: bytes


_POOL: urllib3.PoolManager | None = None


def _pool() -> urllib3.PoolManager:
    global _POOL
    if _POOL is None:
        # A PoolManager reads no proxy settings: a localhost endpoint must not go through $http_proxy.
        _POOL = urllib3.PoolManager(retries=False)
    return _POOL


def _read_whole(response: Any, deadline: float, where: str, chunks: list[bytes], body: bool = True) -> None:
    """Read the answer's body into ``chunks`` by the ``deadline`` (``time.monotonic()``), refusing
    one larger than :data:`MAX_ANSWER_BYTES`, announced or sent (a HEAD answer, ``body=False``, only
    announces).

    :raises TimeoutError: at the deadline.
    :raises EndpointError: for an answer that is too large.
    """
    promised = response.headers.get("Content-Length", "")
    if promised.isdigit() and int(promised) > MAX_ANSWER_BYTES:
        raise EndpointError(
            f"{where} announced {int(promised):,} bytes, more than {MAX_ANSWER_BYTES // 1024**2} MiB; "
            "add a LIMIT to the query"
        )
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock = getattr(response.connection, "sock", None)
        if sock is not None:
            sock.settimeout(remaining)  # the whole answer, not each read, must fit in the time limit
        chunk = response.read1(1 << 16) if body else b""
        if not chunk:
            return
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise EndpointError(f"{where} sent more than {MAX_ANSWER_BYTES // 1024**2} MiB; add a LIMIT to the query")
        chunks.append(chunk)


def request(
    method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float, what: str = "the query"
) -> Answer:
    """One HTTP exchange (urllib3), read whole within ``timeout`` seconds in total.

    No proxies, no retries and no redirects (a redirect, to this host or another, is reported by
    :func:`raise_for_status`, never followed); an answer longer than :data:`MAX_ANSWER_BYTES`
    (announced or sent) is refused; a body shorter than its Content-Length, or a chunked body
    without its last chunk, is an error, never a short answer. Transport failures become
    one-line errors.
    """
    parts = urllib.parse.urlsplit(url)
    where = f"{parts.scheme}://{parts.netloc}"
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    response = None
    try:
        response = _pool().request(
            method,
            url,
            body=body,
            headers={"User-Agent": "ketamine-kg", **headers},
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            redirect=False,
            retries=False,
            preload_content=False,
            decode_content=True,
            enforce_content_length=True,
        )
        _read_whole(response, deadline, where, chunks, body=method != "HEAD")
        return Answer(
            response.status,
            response.headers.get("Content-Type", ""),
            response.headers.get("Server", ""),
            b"".join(chunks),
        )
    except (TimeoutError, urllib3.exceptions.ReadTimeoutError):
        raise QueryTimeout(f"{where} did not finish {what} within {timeout:g} s; it was abandoned") from None
    except urllib3.exceptions.NameResolutionError:
        raise EndpointError(f"cannot reach {where}: unknown host {parts.hostname!r}") from None
    except urllib3.exceptions.NewConnectionError as exc:
        if "refused" in str(exc).lower():
            raise EndpointError(f"cannot reach {where}: connection refused (is the server running?)") from None
        raise EndpointError(f"cannot reach {where}: {one_line(str(exc), 200)}") from None
    except urllib3.exceptions.ConnectTimeoutError:
        raise QueryTimeout(f"{where} did not accept a connection within {timeout:g} s") from None
    except urllib3.exceptions.SSLError as exc:
        raise EndpointError(f"TLS failure talking to {where}: {one_line(str(exc), 200)}") from None
    except urllib3.exceptions.ProtocolError as exc:
        if response is None:  # nothing came back: the server closed the connection on the request
            raise EndpointError(
                f"{where} closed the connection during {what} (server killed or restarted?): {one_line(str(exc), 200)}"
            ) from None
        if says_timeout(b"".join(chunks[-3:])[-300:]):  # ketamine-kg serve says why it cut
            raise QueryTimeout(
                f"{where} stopped {what} at its time limit part-way through the answer; nothing was kept"
            ) from None
        raise EndpointError(
            f"{where} closed the connection part-way through the answer ({sum(map(len, chunks)):,} bytes received; "
            "server killed or restarted?); nothing was kept"
        ) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise EndpointError(f"cannot talk to {where}: {one_line(str(exc), 200) or type(exc).__name__}") from None
    finally:
        if response is not None:
            response.release_conn()


def raise_for_status(answer: Answer, url: str) -> None:
    if 300 <= answer.status < 400:
        raise EndpointError(f"{url} answered HTTP {answer.status} (a redirect); give the URL it points to")
    if answer.status >= 400:
        detail = one_line(answer.body[:2000].decode("utf-8", "replace"), 200)
        if answer.status in (500, 503, 504) and says_timeout(answer.body[:2000]):
            raise QueryTimeout(f"{url} stopped the query at its time limit: {detail}")
        raise EndpointError(f"{url} answered HTTP {answer.status}" + (f": {detail}" if detail else ""))


def says_timeout(text: bytes) -> bool:
    lower = text.decode("utf-8", "replace").lower()
    return any(word in lower for word in ("timeout", "timed out", "time limit", "cancelled", "canceled"))


def form_body(params: list[tuple[str, str]]) -> bytes:
    return urllib.parse.urlencode(params).encode("ascii")
