"""One date, date-time, time and month format per language (pdam/formats), used by every page."""

import datetime
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
AT = datetime.datetime(2026, 12, 4, 14, 5)
DAY = datetime.date(2026, 12, 4)

RENDER = (
    '{{ day|date:"DATE_FORMAT" }}|{{ day|date:"SHORT_DATE_FORMAT" }}|{{ day }}|'
    '{{ at|date:"DATETIME_FORMAT" }}|{{ at|date:"SHORT_DATETIME_FORMAT" }}|{{ at|time }}|'
    '{{ day|date:"YEAR_MONTH_FORMAT" }}'
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("id", "4 Des 2026|4 Des 2026|4 Des 2026|4 Des 2026 14:05|4 Des 2026 14:05|14:05|Desember 2026"),
        ("en", "4 Dec 2026|4 Dec 2026|4 Dec 2026|4 Dec 2026 14:05|4 Dec 2026 14:05|14:05|December 2026"),
    ],
)
def test_one_format_per_language(language, expected):
    with translation.override(language):
        assert Template(RENDER).render(Context({"day": DAY, "at": AT})) == expected


def test_pages_name_a_format_instead_of_writing_a_pattern():
    """A page shows dates through the language's formats; only machine values (the `Y-m` of a
    month input or a URL, the `Y-m-d` of a date input) and server-rendered PDFs spell a pattern."""
    named = {"DATE_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT", "YEAR_MONTH_FORMAT", "Y-m", "Y-m-d"}
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if path.relative_to(TEMPLATES).parts[0] == "pdf" and path.name != "dsml.html":
            continue
        for pattern in re.findall(r"\|(?:date|time):[\"']([^\"']*)[\"']", path.read_text()):
            if pattern not in named:
                offenders.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert offenders == []


def test_m3_is_written_m_cubed_in_what_users_read():
    po = (Path(__file__).resolve().parents[2] / "locale/id/LC_MESSAGES/django.po").read_text()
    live = [entry for entry in po.split("\n\n") if not entry.lstrip().startswith("#~")]
    strings = [
        re.sub(r"%\(\w+\)s", "", line)  # placeholders such as %(m3)s
        for entry in live
        for line in entry.splitlines()
        if line.startswith(("msgid", "msgstr", '"'))
    ]
    assert [s for s in strings if re.search(r"\bm3\b", s)] == []
    for path in TEMPLATES.rglob("*.html"):
        text = re.sub(r"{[{%].*?[%}]}", "", path.read_text())  # variable names such as usage_m3
        assert not re.search(r"\bm3\b", text), path
