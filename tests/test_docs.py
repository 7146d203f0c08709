"""The manual: the README stays a front door, the docs cite only what is in the repository,
name only tests that exist, and build with `mkdocs build --strict`."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from src.common.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# Built from parts so that this file does not cite what it looks for.
OUTSIDE_CONTRACT = ("SPEC" + ".md", "SPEC" + " section")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
NAMED_TEST = re.compile(r"(tests/[\w/]+\.py)::(test_\w+)")
CITED_PAGE = re.compile(r"\bdocs/[\w-]+\.md\b")
MKDOCS_PACKAGES = ("mkdocs", "material", "neoteroi.mkdocs")


def _text_files(*tops: Path) -> list[Path]:
    files = []
    for top in tops:
        paths = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                files.append(path)
    return files


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # screenshots and plots
        return None


def test_the_readme_is_a_front_door_under_250_lines() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 250
    top = "\n".join(lines[:20])
    assert "make run" in top
    assert "make test" in top


def test_the_readme_links_only_to_files_that_exist() -> None:
    targets = MARKDOWN_LINK.findall(README.read_text(encoding="utf-8"))
    local = [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t) and t[0] != "#"]
    assert local, "the README links to the manual's pages"
    missing = [t for t in local if not (ROOT / t.split("#")[0]).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"


def test_no_file_cites_a_document_outside_the_repository() -> None:
    citing = [
        f"{path.relative_to(ROOT)}: {phrase}"
        for path in _text_files(ROOT / "src", ROOT / "tests", ROOT / "docs", README)
        if (text := _read(path)) is not None
        for phrase in OUTSIDE_CONTRACT
        if phrase in text
    ]
    assert not citing, citing


def test_every_docs_page_the_code_cites_exists() -> None:
    cited = {
        page
        for path in _text_files(ROOT / "src", ROOT / "tests")
        if (text := _read(path)) is not None
        for page in CITED_PAGE.findall(text)
    }
    assert cited, "the code cites its docs pages"
    missing = sorted(page for page in cited if not (ROOT / page).is_file())
    assert not missing, missing


def test_every_test_the_docs_name_exists() -> None:
    named = {
        (file, test)
        for path in _text_files(ROOT / "docs")
        if path.suffix == ".md" and (text := _read(path)) is not None
        for file, test in NAMED_TEST.findall(text)
    }
    assert named, "the guarantees name their tests"
    missing = []
    for file, test in sorted(named):
        source = ROOT / file
        defined = (
            {
                node.name
                for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            if source.is_file()
            else set()
        )
        if test not in defined:
            missing.append(f"{file}::{test}")
    assert not missing, missing


def test_every_setting_has_a_description() -> None:
    undocumented = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not undocumented


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    absent = [name for name in MKDOCS_PACKAGES if importlib.util.find_spec(name) is None]
    if absent:
        pytest.skip(f"the docs tools are not installed ({', '.join(absent)}): make docs")
    site = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(site),
        ],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    settings_page = (site / "settings" / "index.html").read_text(encoding="utf-8")
    for name in ("DATABASE_POOL_SIZE", "ALERT_INTERVAL", "WOLFIT_VAR_DIR"):
        assert name in settings_page  # the generated table
    for page, route in (("activity-api", "/api/activities/{id}"), ("ops-api", "/api/ops/queue")):
        assert route in (site / page / "index.html").read_text(encoding="utf-8")
    assert (site / "openapi" / "activity.json").is_file()
