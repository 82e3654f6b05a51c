"""A correction of a paid invoice: the money paid moves to the replacement, never lost.

November billed 100 → 135 m³ for Rumah Tangga A: 70.800 (see tests/billing/test_corrections.py).
"""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from billing.corrections import invoice_correction_approve
from billing.models import Invoice, InvoiceStatus
from payments import selectors, services
from payments.models import Channel, OnlineOrder, OrderInvoice, OrderState, Payment, PaymentAllocation
from tests.billing.conftest import _today, english, route, rt_a  # noqa: F401 - fixtures
from tests.billing.test_corrections import invoice_35, request_stand  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def pay_online(invoice: Invoice) -> Payment:
    order = OnlineOrder.objects.create(
        order_id=f"PDAM-T-{invoice.pk}",
        customer=invoice.customer,
        gross_amount=invoice.total,
        invoice_key=str(invoice.pk),
        state=OrderState.PENDING,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    OrderInvoice.objects.create(order=order, invoice=invoice, amount=invoice.total)
    with transaction.atomic():
        services.customer_lock(invoice.customer_id)
        return services.online_settlement_apply(order=order, paid_at=timezone.now())


def test_paid_then_corrected_down_settles_the_replacement_and_leaves_credit(
    cs_user,
    supervisor_user,
    invoice_35,  # noqa: F811
):
    pay_online(invoice_35)  # 70.800 paid on the wrong bill
    approved = invoice_correction_approve(
        actor=supervisor_user, correction=request_stand(cs_user, invoice_35, 125)
    )
    # 25 m³ is 47.300: 70.800 − 47.300 = 23.500 left to the customer.
    assert (approved.paid_before, approved.difference) == (70_800, -23_500)
    replacement = approved.replacement
    assert Invoice.objects.get(pk=invoice_35.pk).status == InvoiceStatus.CANCELLED
    assert selectors.invoice_is_settled(replacement)
    assert selectors.credit_balance(customer=replacement.customer) == 23_500
    assert not PaymentAllocation.objects.filter(invoice=invoice_35, released_at=None).exists()
    assert Payment.objects.get(channel=Channel.CREDIT).credit_used == 47_300


def test_paid_then_corrected_up_leaves_the_difference_due(cs_user, supervisor_user, invoice_35):  # noqa: F811
    pay_online(invoice_35)
    approved = invoice_correction_approve(
        actor=supervisor_user, correction=request_stand(cs_user, invoice_35, 140)
    )
    replacement = approved.replacement
    # 40 m³: 11.000 + 14.800 + 20.000 + 10 × 2.700 = 72.800 + 11.500 = 84.300; 70.800 paid.
    assert (replacement.total, approved.difference) == (84_300, 13_500)
    assert list(selectors.invoices_outstanding(customer=replacement.customer)) == [replacement]
    assert selectors.credit_balance(customer=replacement.customer) == 70_800  # used at the counter
