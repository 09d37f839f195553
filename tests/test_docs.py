"""The repository stands alone: a clone has no team folder beside it, so nothing may send a reader
there, and every link in the README and docs/ leads to a file that exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    suffixes = {".py", ".md", ".html", ".js", ".css", ".toml", ".cfg", ".conf", ".ini", ".txt"}
    return [ROOT / n for n in names if Path(n).suffix in suffixes or n in {"Makefile", ".ci/run"}]


def test_nothing_points_outside_the_repository() -> None:
    outside = re.compile(r"\.\./shared|\bDESIGN(\.md| §)|\bSTYLE\.md")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in tracked_text_files()
        if path.name != Path(__file__).name
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if outside.search(line)
    ]
    assert offenders == []


def test_links_in_the_docs_lead_somewhere() -> None:
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = [
        f"{doc.relative_to(ROOT)} → {target}"
        for doc in documents
        for target in LINK.findall(doc.read_text())
        if "://" not in target and not (doc.parent / target).exists()
    ]
    assert broken == []


def test_the_rules_cited_in_the_code_exist() -> None:
    sections = set(re.findall(r"^## (§\d+)", (ROOT / "docs/rules.md").read_text(), re.M))
    cited = {
        f"§{n}"
        for path in tracked_text_files()
        for n in re.findall(r"rules §(\d+)", path.read_text(errors="replace"))
    }
    assert cited and cited <= sections
