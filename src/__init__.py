"""Wolfit Async: a web app, an arq worker and an activity service, in one package.

`src.web`, `src.jobs` and `src.activity` are the three services; `src.common` holds what they
share. The package is importable as `src` so that `arq src.jobs.WorkerSettings` works from the
repository root and after `pip install -e .`.
"""
