"""Named failures, each with the exit code the command line documents."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # a constant, not typing's: the query worker imports this module and pays for every import
    from collections.abc import Iterable

__all__ = [
    "PROGRAM",
    "CurationError",
    "EndpointError",
    "KetamineKGError",
    "QueryError",
    "QueryRefused",
    "QueryTimeout",
    "UsageError",
    "ValidationFailed",
    "error_line",
    "one_line",
]

#: The name every error line starts with.
PROGRAM = "ketamine-kg"


def one_line(text: str, limit: int | None = None) -> str:
    r"""``text`` with every run of whitespace (line breaks included) as one space, cut to ``limit`` characters.

    >>> one_line("expected one of\n  'SELECT',\t'ASK'", 20)
    "expected one of 'SE…"
    """
    text = " ".join(str(text).split())
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def error_line(message: object) -> str:
    """The one line the command line prints for a failure: ``ketamine-kg: error: MESSAGE``.

    Every error the command line reports goes through here, so each is one line with one prefix.
    """
    return f"{PROGRAM}: error: {one_line(str(message))}"


class KetamineKGError(Exception):
    """Base class: a failure the user can act on; the CLI prints its message on one line."""

    exit_code = 1


class UsageError(KetamineKGError):
    """Unknown query name, bad parameter, unreadable file."""

    exit_code = 2


class CurationError(KetamineKGError):
    """The curated YAML cannot be read or breaks a rule."""

    exit_code = 3

    @classmethod
    def from_problems(cls, problems: Iterable[object]) -> CurationError:
        problems = list(problems)
        head = f"{len(problems)} problem(s) in the curated data"
        error = cls(head + ": " + str(problems[0]) + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
        error.problems = problems  # type: ignore[attr-defined]
        return error


class ValidationFailed(KetamineKGError):
    """The graph breaks a SHACL shape, a SPARQL check or is inconsistent."""

    exit_code = 4


class QueryError(KetamineKGError):
    """Malformed SPARQL or a failure while evaluating it."""

    exit_code = 5


class QueryRefused(QueryError):
    """The query would write, load, or call out (UPDATE, LOAD, SERVICE)."""

    exit_code = 6


class QueryTimeout(QueryError):
    """The query ran past its time limit and was stopped."""

    exit_code = 7


class EndpointError(KetamineKGError):
    """A remote SPARQL endpoint could not be reached or answered with an error."""

    exit_code = 8
