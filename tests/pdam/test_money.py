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
