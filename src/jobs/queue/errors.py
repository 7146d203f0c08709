"""Errors of the jobs service, from the caller's point of view::

JobsError                     the queue did not do what was asked
├── QueueUnavailable          Redis is unreachable or too slow: nothing was enqueued
│                             (the web app keeps the event in its outbox and tries later)
└── DeadLetterNotFound        no dead letter with this id (already retried or deleted)

EventDeadLettered             raised by `post_activity` *after* the event was parked in
                              the dead-letter store, so arq records the job as failed
"""

from __future__ import annotations

__all__ = ["DeadLetterNotFound", "EventDeadLettered", "JobsError", "QueueUnavailable"]


class JobsError(Exception):
    """The queue did not do what was asked."""


class QueueUnavailable(JobsError):
    """Redis could not be reached in time; nothing was enqueued, try again later."""


class DeadLetterNotFound(JobsError, LookupError):
    """No dead letter has this id: it was retried or deleted already, or never existed."""


class EventDeadLettered(Exception):
    """The event could not be delivered and now waits in the dead-letter store."""
