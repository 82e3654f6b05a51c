import pytest
from django.template import Context, Template

from pdam.money import format_rupiah


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "Rp 0"),
        (500, "Rp 500"),
        (1000, "Rp 1.000"),
        (1234567, "Rp 1.234.567"),
        (-11500, "-Rp 11.500"),
        (1_000_000_000_000, "Rp 1.000.000.000.000"),
        (None, ""),
    ],
)
def test_format_rupiah(amount, text):
    assert format_rupiah(amount) == text


@pytest.mark.parametrize("amount", [1.5, "1000", True])
def test_rupiah_refuses_non_integers(amount):
    with pytest.raises(TypeError):
        format_rupiah(amount)


def test_template_filter():
    assert Template("{% load pdam %}{{ x|rupiah }}").render(Context({"x": 26000})) == "Rp 26.000"


@pytest.mark.parametrize(("amount", "text"), [(0, "Rp 0"), (600, "-Rp 600"), (1234567, "-Rp 1.234.567")])
def test_an_amount_taken_off_is_negative_but_never_minus_zero(amount, text):
    assert Template("{% load pdam %}{{ x|rupiah_negative }}").render(Context({"x": amount})) == text


def test_no_template_writes_a_minus_before_an_amount():
    """`-{{ x|rupiah }}` shows `-Rp 0` when x is 0: templates use `rupiah_negative`."""
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    offenders = [
        f"{path.relative_to(templates)}: {match}"
        for path in templates.rglob("*.html")
        for match in re.findall(r"[-−]\s*{{[^}]*\|rupiah\s*}}", path.read_text())
    ]
    assert offenders == []
