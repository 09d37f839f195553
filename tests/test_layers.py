"""The layers of ``lms`` go one way: the import contracts in pyproject.toml hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lms.courses import hooks

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_higher_packages_answer_what_courses_ask(app) -> None:
    """Courses ask through registries; the packages above fill them when the app is built."""
    assert any(name.endswith("public_course_exam") for name in hooks.PUBLISH_CHECKS)
    parts = {name.rsplit(".", 1)[-1] for name in hooks.COURSE_PAGE_PARTS}
    assert {"_course_page_progress", "_course_page_credit"} <= parts
    assert any(name.endswith("covered_seconds") for name in hooks.WATCHED)
