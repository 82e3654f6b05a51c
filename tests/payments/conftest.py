import pytest
from django.utils import translation

from payments import cashier
from tests.payments.desk import FEB, JAN, MAR
from tests.payments.factories import invoice_for


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are compared with their English msgids. Pages are still served in the
    language each request asks for (the middleware activates it per request)."""
    with translation.override("en"):
        yield


# The counter's worked example (a module may define its own `invoices`): January 47.300,
# February 52.100 and March 38.900 outstanding, and a shift with a Rp 200.000 float.
@pytest.fixture
def invoices(customer):
    return [
        invoice_for(customer, JAN, 47_300),
        invoice_for(customer, FEB, 52_100),
        invoice_for(customer, MAR, 38_900),
    ]


@pytest.fixture
def shift(cashier_user):
    return cashier.shift_open(cashier=cashier_user, opening_float=200_000)
