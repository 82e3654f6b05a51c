"""Staff forms accept what staff type: date inputs are pre-filled in the format browsers accept."""

import datetime

import pytest
from django.utils import translation

from customers.forms import CustomerForm, StatusChangeForm
from customers.models import Customer, CustomerStatus
from meters.forms import MeterInstallForm, MeterReplaceForm, StandForm

DAY = datetime.date(2026, 12, 4)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(
    ("form_class", "field"),
    [
        (CustomerForm, "connected_on"),
        (StatusChangeForm, "effective_on"),
        (StandForm, "read_on"),
        (MeterInstallForm, "installed_on"),
        (MeterReplaceForm, "replaced_on"),
    ],
)
def test_every_date_input_is_pre_filled_as_iso(form_class, field, language):
    with translation.override(language):
        kwargs = (
            {"customer": Customer(status=CustomerStatus.ACTIVE)} if form_class is StatusChangeForm else {}
        )
        html = str(form_class(initial={field: DAY}, **kwargs)[field])
    assert 'type="date"' in html
    assert 'value="2026-12-04"' in html  # not "04-12-2026", which the browser rejects
