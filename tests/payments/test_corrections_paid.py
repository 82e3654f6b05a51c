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


def test_void_of_a_cash_payment_moved_by_a_correction_is_refused_and_reviewed(
    cs_user,
    supervisor_user,
    cashier_user,
    invoice_35,  # noqa: F811
):
    from django.core.exceptions import ValidationError

    from payments import cashier
    from payments.models import CreditEntry, ReviewItem, ReviewKind

    shift = cashier.shift_open(cashier=cashier_user, opening_float=100_000)
    paid = services.cash_payment_take(
        cashier=cashier_user, customer=invoice_35.customer, invoice_ids=[invoice_35.pk], tendered=70_800
    )
    approved = invoice_correction_approve(
        actor=supervisor_user, correction=request_stand(cs_user, invoice_35, 125)
    )
    replacement = approved.replacement  # 47.300, settled from the 70.800 moved to credit
    assert selectors.invoice_is_settled(replacement)

    with pytest.raises(ValidationError) as refused:
        cashier.payment_void(
            payment=paid, cashier=cashier_user, approver=supervisor_user, reason="Salah bayar"
        )
    assert "invoice correction" in str(refused.value)

    # Nothing moved: no cash back, the credit ledger and the allocations as the correction left them.
    assert cashier.shift_cash_voided(shift) == 0
    assert cashier.shift_expected_cash(shift) == 100_000 + 70_800
    assert not hasattr(Payment.objects.get(pk=paid.pk), "reversal")
    assert sorted(CreditEntry.objects.filter(customer=invoice_35.customer).values_list("kind", "amount")) == [
        ("invoice_cancelled", 70_800),
        ("used", -47_300),
    ]
    assert selectors.credit_balance(customer=invoice_35.customer) == 23_500
    assert [(a.invoice_id, a.amount) for a in PaymentAllocation.objects.filter(released_at=None)] == [
        (replacement.pk, 47_300)
    ]
    item = ReviewItem.objects.get(kind=ReviewKind.VOID_REFUSED)
    assert (item.payment_id, item.customer_id, item.amount) == (paid.pk, invoice_35.customer_id, 70_800)


def test_an_older_month_corrected_when_both_months_were_paid(cs_user, supervisor_user, invoice_35):  # noqa: F811
    """November 135 (35 m³, 70.800) and December 165 (30 m³, 57.300), both paid: 128.100.
    November's stand was really 125: 47.300 + 84.300 = 131.600, so 3.500 is left to pay."""
    from tests.billing.test_corrections import bill_december, period, read_december

    read_december(cs_user, invoice_35.customer)
    bill_december(supervisor_user)
    december = Invoice.objects.get(customer=invoice_35.customer, period=period(12))
    pay_online(invoice_35)
    pay_online(december)
    assert december.total == 57_300

    approved = invoice_correction_approve(
        actor=supervisor_user, correction=request_stand(cs_user, invoice_35, 125)
    )

    november_k1, december_k1 = approved.replacement, approved.carried_replacement
    assert (november_k1.total, december_k1.total) == (47_300, 84_300)
    assert (approved.paid_before, approved.difference) == (70_800, -23_500)
    assert selectors.invoice_is_settled(november_k1)
    assert not selectors.invoice_is_settled(december_k1)
    assert list(selectors.invoices_outstanding(customer=invoice_35.customer)) == [december_k1]
    # The credit settles whole invoices only: 80.800 waits to be used at the counter, 3.500 short.
    credit = selectors.credit_balance(customer=invoice_35.customer)
    assert credit == 70_800 - 47_300 + 57_300 == 80_800 == december_k1.total - 3_500
    live = PaymentAllocation.objects.filter(released_at=None)
    assert [(a.invoice_id, a.amount) for a in live] == [(november_k1.pk, 47_300)]
    assert 47_300 + credit == 70_800 + 57_300 == 131_600 - 3_500  # nothing paid is lost
