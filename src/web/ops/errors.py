"""Errors of the ops service layer; the ops API turns each into a 4xx or 503 JSON answer.

OpsError                    an operator's request cannot be done; the message says why
├── OpsBadRequest           bad paging, an unknown status or function, bad arguments (400)
├── OpsNotFound             no such job, dead letter or alert (404)
├── OpsConflict             the request clashes with the job's state (409)
├── OpsUnsupportedMediaType a body in a charset other than UTF-8 (415)
└── OpsUnavailable          Redis is not configured or does not answer (503)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "OpsBadRequest",
    "OpsConflict",
    "OpsError",
    "OpsNotFound",
    "OpsUnavailable",
    "OpsUnsupportedMediaType",
]


class OpsError(Exception):
    """An operator's request cannot be done; `str(exc)` is a sentence for the operator."""

    status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of the error answer: `{"error": message, ...details}`."""
        return {"error": str(self), **self.details}


class OpsBadRequest(OpsError):
    """The request itself is wrong (paging, status, function, arguments)."""

    status = 400


class OpsNotFound(OpsError):
    """No such job, dead letter or alert."""

    status = 404


class OpsConflict(OpsError):
    """The job is in a state that does not allow this (already queued, already finished)."""

    status = 409


class OpsUnsupportedMediaType(OpsError):
    """The body is in a charset other than UTF-8 (or one that does not exist)."""

    status = 415


class OpsUnavailable(OpsError):
    """The queue's Redis is not configured or does not answer; try again later."""

    status = 503
