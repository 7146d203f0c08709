"""The dashboard pages' tests run on the ops tests' suite: the web app on the test's Redis,
the real activity service, an admin `root` logged in (`ops`, `make_ops`, `activity`)."""

from __future__ import annotations

from tests.web.ops.conftest import activity, make_ops, ops, ops_settings, worker

__all__ = ["activity", "make_ops", "ops", "ops_settings", "worker"]
