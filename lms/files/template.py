"""A downloadable sheet template: its headers and example rows, which no import may take in.

Example rows carry ``MARKER`` in one of their cells. A row is an example when any of its cells
starts with the marker, or when its filled cells are those of an example with the marker taken
out (so a template downloaded before the marker was added, or one whose marker was deleted but
not the rest of the row, is still refused), or when it carries an example's value in one of the
template's ``keys`` columns (the staff template's example ID number is nobody's, whatever name is
typed beside it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

MARKER = "【示例】"


def cell_text(value: object) -> str:
    """A cell as the text a person sees: 13800000000.0 is "13800000000"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _bare(cells: Sequence[object]) -> tuple[str, ...]:
    texts = (cell_text(cell).removeprefix(MARKER).strip() for cell in cells)
    return tuple(sorted(text for text in texts if text))


@dataclass(frozen=True)
class SheetTemplate:
    #: The sheet's name in the downloaded workbook.
    title: str
    headers: tuple[str, ...]
    #: Example rows as written into the template, each with ``MARKER`` in one cell.
    examples: tuple[tuple[object, ...], ...] = ()
    #: Columns whose example values alone make a row an example, wherever they appear in it.
    keys: tuple[int, ...] = ()
    _bare_examples: frozenset[tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _key_values: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for example in self.examples:
            if not any(cell_text(cell).startswith(MARKER) for cell in example):
                raise ValueError(f"example row {example!r} has no {MARKER} in any cell")
        object.__setattr__(self, "_bare_examples", frozenset(_bare(e) for e in self.examples))
        keys = {cell_text(e[i]).removeprefix(MARKER).strip() for e in self.examples
                for i in self.keys if i < len(e)}
        object.__setattr__(self, "_key_values", frozenset(keys - {""}))

    def is_example(self, cells: Sequence[object]) -> bool:
        if any(cell_text(cell).startswith(MARKER) for cell in cells):
            return True
        if self._key_values and any(cell_text(cell) in self._key_values for cell in cells):
            return True
        return bool(self._bare_examples) and _bare(cells) in self._bare_examples
