"""lms.files sits at the bottom of the layers: features call it, it never calls them; and it is
the only way files come in or workbooks go out."""

import ast
from pathlib import Path

from lms.config import PROJECT_ROOT


def imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            names.append(node.module or "" if node.level == 0 else "lms.files")
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_lms_files_imports_nothing_else_of_lms():
    found = [(path.name, name) for path in sorted((PROJECT_ROOT / "lms/files").glob("*.py"))
             for name in imports(path)
             if name.split(".")[0] == "lms" and not name.startswith(("lms.config", "lms.files"))]
    assert found == []


#: The parsers of untrusted files: only lms.files may use them.
PARSERS = {"openpyxl", "defusedxml", "zipfile", "csv", "PIL", "pypdf"}


def test_only_lms_files_reads_or_writes_workbooks_images_and_pdfs():
    found = [(str(path.relative_to(PROJECT_ROOT)), name)
             for path in (PROJECT_ROOT / "lms").rglob("*.py")
             if "files" not in path.relative_to(PROJECT_ROOT / "lms").parts[:1]
             for name in imports(path) if name.split(".")[0] in PARSERS]
    assert found == []
