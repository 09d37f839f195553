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


def test_only_lms_files_uses_openpyxl():
    found = [str(path.relative_to(PROJECT_ROOT)) for path in (PROJECT_ROOT / "lms").rglob("*.py")
             if "files" not in path.relative_to(PROJECT_ROOT / "lms").parts[:1]
             and any(name.split(".")[0] == "openpyxl" for name in imports(path))]
    assert found == []
