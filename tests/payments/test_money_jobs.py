"""Issue 10 §2: one bad customer never stalls the nightly credit settlement."""

import pytest

from payments import selectors, services, tasks
from payments.models import CreditEntry, CreditKind, ReviewItem, ReviewKind
from tests.customers.factories import CustomerFactory
from tests.payments.desk import JAN
from tests.payments.factories import invoice_for

pytestmark = pytest.mark.django_db


def test_one_failing_customer_never_stalls_the_credit_settlement(monkeypatch):
    bad, good = CustomerFactory(), CustomerFactory()
    for customer in (bad, good):
        invoice_for(customer, JAN, 47_300)
        CreditEntry.objects.create(customer=customer, amount=50_000, kind=CreditKind.OVERPAYMENT)
    real = services.credit_apply

    def failing_for_bad(*, customer_id, actor=None):
        if customer_id == bad.pk:
            raise RuntimeError("broken row")
        return real(customer_id=customer_id, actor=actor)

    monkeypatch.setattr(services, "credit_apply", failing_for_bad)
    assert tasks.credits_apply() == 1
    # The good customer's January is settled from 50.000 credit, 2.700 left; the bad one is untouched.
    assert selectors.credit_balance(customer=good) == 2_700
    assert selectors.credit_balance(customer=bad) == 50_000
    item = ReviewItem.objects.get(kind=ReviewKind.JOB_FAILED)
    assert item.customer_id == bad.pk
    assert "broken row" in item.detail
