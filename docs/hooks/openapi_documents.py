"""MkDocs hook: the OpenAPI documents the services serve, written to docs/openapi/ at build time.

`src.activity.openapi.openapi_document()` (the activity service's `GET /api/openapi.json`)
and `src.web.ops.openapi.openapi_document()` (the web app's, the ops API) are called before
the pages are read, and their JSON goes to `docs/openapi/activity.json` and `ops.json`
(git-ignored; rewritten only when it changed, so `mkdocs serve` does not loop). The API pages
render them with neoteroi-mkdocs' OAD plugin (`[OAD(./openapi/activity.json)]`), and the
site publishes them for download. Whatever the functions return is what the pages show.

The plugin's templates are its own but for `openapi_templates/partial/info.html`, which
drops the document's top-level heading: the reference is a section of its page.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

_REPOSITORY = Path(__file__).resolve().parents[2]
OUT_DIR = "openapi"
OAD_PLUGIN = "neoteroi.mkdocsoad"
TEMPLATES = Path(__file__).resolve().parent / "openapi_templates"


def _documents() -> dict[str, Callable[[], dict[str, Any]]]:
    """File name to the function that builds the document, from this checkout's `src`."""
    if str(_REPOSITORY) not in sys.path:
        sys.path.insert(0, str(_REPOSITORY))
    from src.activity.openapi import openapi_document as activity_document
    from src.web.ops.openapi import openapi_document as ops_document

    return {"activity.json": activity_document, "ops.json": ops_document}


def _write_if_changed(path: Path, text: str) -> None:
    """Replace `path` atomically, and only when its text changes (two builds may run at once)."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)


def on_config(config: Any, **_: Any) -> Any:
    """Point the OAD plugin at our templates, wherever the build was started from."""
    plugin = config["plugins"].get(OAD_PLUGIN)
    if plugin is not None:
        plugin.config["templates_path"] = str(TEMPLATES)
    return config


def on_pre_build(config: Any, **_: Any) -> None:
    """Write each document before MkDocs collects the files of `docs/`."""
    out = Path(config["docs_dir"]) / OUT_DIR
    for name, build in _documents().items():
        _write_if_changed(out / name, json.dumps(build(), indent=2, ensure_ascii=False) + "\n")
