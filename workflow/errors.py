"""The domain's refusals. Each carries a kind, never an HTTP status: the API maps kinds to statuses in one place
(``capture_api/errors.py``); commands print the message. Messages are Spanish: they reach users as they are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorKind(StrEnum):
    malformed = "malformed"  # the request itself cannot be read
    invalid = "invalid"  # well-formed, but the data break a rule
    not_found = "not_found"
    conflict = "conflict"  # contradicts the current state (a closed window, a capture_id already used)
    too_large = "too_large"
    unauthenticated = "unauthenticated"
    forbidden = "forbidden"
    unavailable = "unavailable"  # the system cannot serve it now (e.g. a database newer than the code)


@dataclass(frozen=True)
class Detail:
    """One problem: its Spanish message and where it is (a field of the input, or a line and column of a file)."""

    message: str
    field: str | None = None
    line: int | None = None
    column: int | None = None


class DomainError(Exception):
    """A refusal: ``message`` says what and how to fix it; ``field`` names the input it concerns, if any;
    ``details`` lists each problem when there are several (by default, the one of ``field``)."""

    def __init__(
        self, kind: ErrorKind, message: str, field: str | None = None, details: Sequence[Detail] | None = None
    ) -> None:
        super().__init__(message)
        self.kind, self.message, self.field = kind, message, field
        self.details = list(details) if details is not None else ([Detail(message, field)] if field else [])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind.value}, {self.message!r}, field={self.field!r})"
