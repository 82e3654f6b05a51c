"""Cells for CSV and XLSX exports, safe against formula (CSV) injection.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some programs, a tab or
a carriage return) as a formula, so a customer name such as `=HYPERLINK("http://evil", "Budi")`
would become a live link in the manager's Excel. Following the OWASP guidance, such text gets a
leading apostrophe; numbers, dates and empty cells stay as they are, so a negative Rupiah amount
remains a number that adds up.
"""

from collections.abc import Iterable
from typing import Any

from django.utils.functional import Promise

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_cell(value: Any) -> Any:
    """The value to put in an exported cell: text that a spreadsheet would run gets a `'`."""
    if isinstance(value, Promise):  # a lazily translated label
        value = str(value)
    if not isinstance(value, str):
        return value
    return f"'{value}" if value.startswith(FORMULA_START) else value


def export_row(values: Iterable[Any]) -> list[Any]:
    """`export_cell` for every cell of one row."""
    return [export_cell(value) for value in values]
