"""Cash at the counter, credit and voids, as worked examples with exact Rupiah.

The customer owes January 47.300, February 52.100 and March 38.900 (138.300 in all). Nurul the
cashier opens her drawer on 10 April 2026 with a float of Rp 200.000.
"""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from payments import cashier, selectors, services
from payments.models import (
    CashierShift,
    Channel,
    CreditEntry,
    CreditKind,
    Payment,
    PaymentAllocation,
    PaymentReversal,
    ReversalKind,
    ShiftState,
)
from pdam.audit import audit_entries_for
from tests.payments.desk import FEB, JAN, MAR, TODAY, _today  # noqa: F401 - the day's fixture

pytestmark = pytest.mark.django_db


def outstanding(customer) -> list[str]:
    return [invoice.number for invoice in selectors.invoices_outstanding(customer=customer)]


def test_two_months_at_once_with_change(customer, invoices, shift, cashier_user):
    payment = services.cash_payment_take(
        cashier=cashier_user,
        customer=customer,
        invoice_ids=[invoices[0].pk, invoices[1].pk],
        tendered=100_000,
    )
    # 47.300 + 52.100 = 99.400 due; 100.000 tendered; 600 change; the drawer keeps 99.400.
    assert (payment.amount, payment.tendered, payment.change, payment.credit_used) == (
        99_400,
        100_000,
        600,
        0,
    )
    assert payment.receipt_number == "KAS-00000001"
    assert (payment.channel, payment.shift, payment.received_by) == (Channel.CASH, shift, cashier_user)
    assert payment.business_date == TODAY
    allocations = payment.allocations.order_by("invoice__period__month")
    assert [(a.invoice.number, a.amount) for a in allocations] == [
        (invoices[0].number, 47_300),
        (invoices[1].number, 52_100),
    ]
    assert outstanding(customer) == [invoices[2].number]
    [entry] = audit_entries_for(payment)
    assert (entry.action, entry.actor, entry.changes["amount"]) == (
        "payment.cash",
        cashier_user,
        [None, 99_400],
    )


def test_exact_cash_gives_no_change_and_numbers_follow_on(customer, invoices, shift, cashier_user):
    first = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=47_300
    )
    second = services.cash_payment_take(
        cashier=cashier_user,
        customer=customer,
        invoice_ids=[invoices[1].pk, invoices[2].pk],
        tendered=100_000,
    )
    assert (first.change, first.receipt_number) == (0, "KAS-00000001")
    # 52.100 + 38.900 = 91.000; 100.000 − 91.000 = 9.000 change.
    assert (second.amount, second.change, second.receipt_number) == (91_000, 9_000, "KAS-00000002")
    assert outstanding(customer) == []


def test_credit_is_used_first(customer, invoices, shift, cashier_user):
    CreditEntry.objects.create(customer=customer, amount=20_000, kind=CreditKind.OVERPAYMENT)
    payment = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=30_000
    )
    # 47.300 due − 20.000 credit = 27.300 cash; 30.000 tendered → 2.700 change.
    assert (payment.amount, payment.credit_used, payment.change) == (27_300, 20_000, 2_700)
    assert selectors.credit_balance(customer=customer) == 0
    assert CreditEntry.objects.get(kind=CreditKind.USED).amount == -20_000


def test_credit_can_be_left_alone(customer, invoices, shift, cashier_user):
    CreditEntry.objects.create(customer=customer, amount=20_000, kind=CreditKind.OVERPAYMENT)
    payment = services.cash_payment_take(
        cashier=cashier_user,
        customer=customer,
        invoice_ids=[invoices[0].pk],
        tendered=50_000,
        use_credit=False,
    )
    assert (payment.amount, payment.credit_used, payment.change) == (47_300, 0, 2_700)
    assert selectors.credit_balance(customer=customer) == 20_000


def test_refused_without_an_open_shift(customer, invoices, cashier_user):
    with pytest.raises(ValidationError, match="Open a shift"):
        services.cash_payment_take(
            cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
        )
    assert not Payment.objects.exists()


def test_refused_after_the_shift_is_closed(customer, invoices, shift, cashier_user):
    cashier.shift_close(cashier=cashier_user, counted_cash=200_000)
    with pytest.raises(ValidationError, match="Open a shift"):
        services.cash_payment_take(
            cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
        )


def test_an_older_invoice_cannot_be_skipped(customer, invoices, shift, cashier_user):
    with pytest.raises(ValidationError, match="oldest invoices first") as refused:
        services.cash_payment_take(
            cashier=cashier_user, customer=customer, invoice_ids=[invoices[1].pk], tendered=100_000
        )
    assert invoices[0].number in refused.value.messages[0]
    assert not Payment.objects.exists()
    assert outstanding(customer) == [i.number for i in invoices]


def test_short_cash_is_refused(customer, invoices, shift, cashier_user):
    with pytest.raises(ValidationError, match="less than the amount due"):
        services.cash_payment_take(
            cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=47_299
        )
    assert not Payment.objects.exists()


def test_an_invoice_paid_meanwhile_is_refused(customer, invoices, shift, cashier_user):
    services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=47_300
    )
    with pytest.raises(ValidationError, match="no longer outstanding"):
        services.cash_payment_take(
            cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=47_300
        )
    assert Payment.objects.count() == 1


def test_shift_close_with_a_difference(customer, invoices, shift, cashier_user):
    services.cash_payment_take(
        cashier=cashier_user,
        customer=customer,
        invoice_ids=[invoices[0].pk, invoices[1].pk],
        tendered=100_000,
    )
    services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[2].pk], tendered=50_000
    )
    closed = cashier.shift_close(cashier=cashier_user, counted_cash=338_000, note="Kurang Rp 300")
    # 200.000 float + 99.400 + 38.900 = 338.300 expected; 338.000 counted: 300 short.
    assert (closed.expected_cash, closed.counted_cash, closed.difference) == (338_300, 338_000, -300)
    assert closed.state == ShiftState.CLOSED
    assert closed.closed_at is not None
    [close_entry, _open_entry] = audit_entries_for(closed)
    assert close_entry.changes["difference"] == [None, -300]
    assert close_entry.reason == "Kurang Rp 300"


def test_void_makes_the_invoices_outstanding_again(customer, invoices, shift, cashier_user, supervisor_user):
    CreditEntry.objects.create(customer=customer, amount=10_000, kind=CreditKind.OVERPAYMENT)
    payment = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk, invoices[1].pk], tendered=90_000
    )
    # 99.400 − 10.000 credit = 89.400 cash, 600 change.
    assert (payment.amount, payment.credit_used, payment.change) == (89_400, 10_000, 600)
    reversal = cashier.payment_void(
        payment=payment, cashier=cashier_user, approver=supervisor_user, reason="Salah pelanggan"
    )
    assert (reversal.kind, reversal.shift, reversal.approved_by) == (
        ReversalKind.VOID,
        shift,
        supervisor_user,
    )
    assert reversal.business_date == TODAY
    assert outstanding(customer) == [i.number for i in invoices]
    assert not PaymentAllocation.objects.filter(released_at__isnull=True).exists()
    assert selectors.credit_balance(customer=customer) == 10_000  # the credit it used is back
    assert Payment.objects.filter(pk=payment.pk).exists()  # never deleted
    closed = cashier.shift_close(cashier=cashier_user, counted_cash=200_000)
    # 200.000 + 89.400 taken − 89.400 given back.
    assert (closed.expected_cash, closed.difference) == (200_000, 0)
    actions = {entry.action for entry in audit_entries_for(payment)}
    assert actions == {"payment.cash", "payment.void"}
    assert "shift.void" in {entry.action for entry in audit_entries_for(shift)}


def test_invoices_voided_can_be_paid_again(customer, invoices, shift, cashier_user, supervisor_user):
    payment = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
    )
    cashier.payment_void(payment=payment, cashier=cashier_user, approver=supervisor_user, reason="Uang palsu")
    again = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=47_300
    )
    assert again.receipt_number == "KAS-00000002"
    assert selectors.invoice_paid_amount(invoices[0]) == 47_300


def test_void_needs_a_reason_and_another_persons_approval(
    customer, invoices, shift, cashier_user, supervisor_user, manager_user
):
    payment = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
    )
    with pytest.raises(ValidationError, match="reason"):
        cashier.payment_void(payment=payment, cashier=cashier_user, approver=supervisor_user, reason="  ")
    with pytest.raises(ValidationError, match="supervisor"):
        cashier.payment_void(payment=payment, cashier=cashier_user, approver=manager_user, reason="Salah")
    with pytest.raises(ValidationError, match="supervisor"):
        cashier.payment_void(payment=payment, cashier=cashier_user, approver=cashier_user, reason="Salah")
    supervisor_user.user_permissions.add(*cashier_user.groups.first().permissions.all())
    supervisor_user = type(supervisor_user).objects.get(pk=supervisor_user.pk)
    with pytest.raises(ValidationError, match="cannot approve your own"):
        # A supervisor working the counter cannot approve their own void either.
        cashier.payment_void(
            payment=payment, cashier=supervisor_user, approver=supervisor_user, reason="Salah"
        )
    assert not PaymentReversal.objects.exists()


def test_void_only_on_the_same_day(customer, invoices, shift, cashier_user, supervisor_user):
    payment = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
    )
    tomorrow = time_machine.travel(datetime.datetime(2026, 4, 11, 1, 0, tzinfo=datetime.UTC), tick=False)
    with tomorrow, pytest.raises(ValidationError, match="only on the day"):
        cashier.payment_void(payment=payment, cashier=cashier_user, approver=supervisor_user, reason="Salah")
    assert not PaymentReversal.objects.exists()


def test_void_twice_is_refused(customer, invoices, shift, cashier_user, supervisor_user):
    payment = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
    )
    cashier.payment_void(payment=payment, cashier=cashier_user, approver=supervisor_user, reason="Salah")
    with pytest.raises(ValidationError, match="already reversed"):
        cashier.payment_void(payment=payment, cashier=cashier_user, approver=supervisor_user, reason="Lagi")
    assert PaymentReversal.objects.count() == 1


def test_one_open_shift_per_cashier(shift, cashier_user):
    with pytest.raises(ValidationError, match="already have an open shift"):
        cashier.shift_open(cashier=cashier_user, opening_float=100_000)
    assert CashierShift.objects.filter(cashier=cashier_user).count() == 1
    with pytest.raises(ValidationError):
        cashier.shift_open(cashier=cashier_user, opening_float=-1)
