import datetime
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy

from pdam.exports import export_cell, export_row


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://evil.example","Budi")', '\'=HYPERLINK("http://evil.example","Budi")'),
        ("+62 812 000", "'+62 812 000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Kota Tengah", "Kota Tengah"),
        ("Budi = pelanggan", "Budi = pelanggan"),
        ("", ""),
    ],
)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text, expected):
    assert export_cell(text) == expected


def test_numbers_dates_and_empty_cells_stay_as_they_are():
    row = export_row([-15_000, 0, Decimal("-1250.50"), -2.5, None, datetime.date(2026, 11, 1)])
    assert row == [-15_000, 0, Decimal("-1250.50"), -2.5, None, datetime.date(2026, 11, 1)]
    assert isinstance(row[0], int)


def test_lazy_labels_are_escaped_as_text():
    assert export_cell(gettext_lazy("=cmd")) == "'=cmd"
