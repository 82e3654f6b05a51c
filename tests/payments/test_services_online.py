"""Online settlement, overpayment credit, reversals and corrections, as worked examples.

September 47.300, October 52.100, November 39.900 (Rupiah) for one customer.
"""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.extensions import paid_amount
from billing.models import InvoiceStatus
from payments import selectors, services
from payments.models import (
    Channel,
    CreditEntry,
    CreditKind,
    OnlineOrder,
    OrderInvoice,
    OrderState,
    Payment,
    PaymentAllocation,
    ReviewItem,
    ReviewKind,
)
from pdam.audit import audit_entries_for
from tests.payments.factories import invoice_for

pytestmark = pytest.mark.django_db

SEP, OCT, NOV = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)


@pytest.fixture
def invoices(customer):
    return [
        invoice_for(customer, SEP, 47_300),
        invoice_for(customer, OCT, 52_100),
        invoice_for(customer, NOV, 39_900),
    ]


def order_for(customer, invoices, order_id="PDAM-TEST-1") -> OnlineOrder:
    order = OnlineOrder.objects.create(
        order_id=order_id,
        customer=customer,
        gross_amount=sum(i.total for i in invoices),
        invoice_key=",".join(str(i.pk) for i in sorted(invoices, key=lambda i: i.pk)),
        state=OrderState.PENDING,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    OrderInvoice.objects.bulk_create(OrderInvoice(order=order, invoice=i, amount=i.total) for i in invoices)
    return order


def settle(order) -> Payment | None:
    with transaction.atomic():
        services.customer_lock(order.customer_id)
        return services.online_settlement_apply(order=order, paid_at=timezone.now())


def test_settlement_pays_the_invoices_of_the_order(customer, invoices):
    payment = settle(order_for(customer, invoices[:2]))
    assert (payment.channel, payment.amount, payment.credit_created) == (Channel.ONLINE, 99_400, 0)
    assert payment.receipt_number == "ONL-00000001"
    assert [a.amount for a in payment.allocations.order_by("invoice__period__month")] == [47_300, 52_100]
    assert [i.number for i in selectors.invoices_outstanding(customer=customer)] == [invoices[2].number]
    assert paid_amount(invoices[0]) == 47_300  # billing sees it through the registered provider
    assert OnlineOrder.objects.get(order_id="PDAM-TEST-1").state == OrderState.PAID
    [entry] = audit_entries_for(payment)
    assert entry.changes["amount"] == [None, 99_400]


def test_settling_the_same_order_twice_changes_nothing(customer, invoices):
    order = order_for(customer, invoices[:1])
    settle(order)
    assert settle(order) is None
    assert Payment.objects.count() == 1
    assert PaymentAllocation.objects.count() == 1


def test_two_orders_both_settling_the_second_becomes_credit(customer, invoices):
    first = order_for(customer, invoices[:1], "PDAM-TEST-A")
    second = order_for(customer, invoices[:2], "PDAM-TEST-B")
    settle(first)
    payment = settle(second)
    # September was paid by the first order: its 47.300 becomes credit; October is settled.
    assert (payment.amount, payment.credit_created) == (99_400, 47_300)
    assert list(payment.allocations.values_list("invoice__number", flat=True)) == [invoices[1].number]
    # The credit covers November (39.900) at once; 7.400 remains.
    assert selectors.credit_balance(customer=customer) == 7_400
    assert list(selectors.invoices_outstanding(customer=customer)) == []
    credit_payment = Payment.objects.get(channel=Channel.CREDIT)
    assert (credit_payment.amount, credit_payment.credit_used) == (0, 39_900)
    [item] = ReviewItem.objects.filter(kind=ReviewKind.OVERPAYMENT)
    assert (item.amount, item.order) == (47_300, second)
    # Every Rupiah received is either on an invoice or in the credit ledger.
    received = sum(Payment.objects.values_list("amount", flat=True))
    allocated = sum(PaymentAllocation.objects.filter(released_at=None).values_list("amount", flat=True))
    assert received == 47_300 + 99_400 == allocated + selectors.credit_balance(customer=customer)


def test_an_invoice_can_have_one_live_allocation_only(customer, invoices):
    settle(order_for(customer, invoices[:1]))
    payment = Payment.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentAllocation.objects.create(payment=payment, invoice=invoices[0], amount=47_300)


def test_deny_after_settlement_reverses_and_the_invoices_are_due_again(customer, invoices, supervisor_user):
    order = order_for(customer, invoices[:2])
    payment = settle(order)
    reversal = services.payment_reverse(payment=payment, kind="deny", reason="Midtrans: deny")
    again = services.payment_reverse(payment=payment, kind="deny", reason="Midtrans: deny")
    assert reversal == again  # idempotent
    assert [i.number for i in selectors.invoices_outstanding(customer=customer)] == [
        i.number for i in invoices
    ]
    assert paid_amount(invoices[0]) == 0
    assert set(PaymentAllocation.objects.values_list("released_reason", flat=True)) == {"deny"}
    assert ReviewItem.objects.filter(kind=ReviewKind.REVERSAL, payment=payment).count() == 1


def test_a_reversed_overpayment_takes_its_credit_back(customer, invoices):
    settle(order_for(customer, invoices[:1], "PDAM-TEST-A"))
    second = settle(order_for(customer, invoices[:1], "PDAM-TEST-B"))  # all 47.300 credit
    # The credit settled October? No: 47.300 < 52.100, so it waits.
    assert selectors.credit_balance(customer=customer) == 47_300
    services.payment_reverse(payment=second, kind="refund", reason="Midtrans: refund")
    assert selectors.credit_balance(customer=customer) == 0
    kinds = list(CreditEntry.objects.order_by("pk").values_list("kind", "amount"))
    assert kinds == [(CreditKind.OVERPAYMENT, 47_300), (CreditKind.REVERSED, -47_300)]


def test_credit_refund_is_recorded_and_limited_to_the_balance(customer, invoices, supervisor_user):
    settle(order_for(customer, invoices[:1], "PDAM-TEST-A"))
    settle(order_for(customer, invoices[:1], "PDAM-TEST-B"))
    with pytest.raises(Exception, match="at most"):
        services.credit_refund(customer=customer, amount=50_000, actor=supervisor_user, note="BCA 123")
    services.credit_refund(customer=customer, amount=47_300, actor=supervisor_user, note="BCA transfer 123")
    assert selectors.credit_balance(customer=customer) == 0


def test_a_settlement_for_a_cancelled_invoice_becomes_credit(customer, invoices):
    order = order_for(customer, invoices[:1])
    invoices[0].status = InvoiceStatus.CANCELLED
    invoices[0].save()
    payment = settle(order)
    assert (payment.credit_created, payment.allocations.count()) == (47_300, 0)
    # 47.300 covers October (52.100)? No; it stays as credit.
    assert selectors.credit_balance(customer=customer) == 47_300
