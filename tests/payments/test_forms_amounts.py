"""Staff and customers type Rupiah on phones: sane ceilings, any digits read whole or refused."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from meters.forms import StandForm
from payments.forms_cashier import RupiahField


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_cash_tendered_above_the_ceiling_is_refused():
    # 999.999.999.999 tendered for a Rp 44.400 bill would print a change of Rp 999.999.955.599.
    with pytest.raises(ValidationError, match=r"at most Rp 100\.000\.000"):
        RupiahField().clean("999.999.999.999")
    assert RupiahField().clean("100.000.000") == 100_000_000


def test_cash_ceiling_is_a_setting(settings):
    settings.CASH_AMOUNT_MAX = 5_000_000
    with pytest.raises(ValidationError, match=r"at most Rp 5\.000\.000"):
        RupiahField().clean("5.000.001")
    assert RupiahField().clean("Rp 5.000.000") == 5_000_000


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("１５０．０００", 150_000),  # fullwidth digits and dot
        ("١٥٠٠٠٠", 150_000),  # Arabic-Indic
        ("۱۵۰.۰۰۰", 150_000),  # Extended Arabic-Indic (Persian keyboard)
        ("1٥0.000", 150_000),  # mixed: read whole, not half
    ],
)
def test_non_latin_digits_are_read_whole(typed, amount):
    assert RupiahField().clean(typed) == amount


@pytest.mark.parametrize("typed", ["150.000²", "①⑤⓪", "15O.000"])
def test_digit_lookalikes_are_refused(typed):
    with pytest.raises(ValidationError):
        RupiahField().clean(typed)


def test_stand_inputs_read_non_latin_digits_whole():
    form = StandForm(data={"stand": "١٢٥", "read_on": "2026-11-25"})
    form.is_valid()
    assert form.cleaned_data.get("stand") == 125
