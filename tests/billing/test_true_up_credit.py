"""Issue 10 §2: never a negative invoice. A true-up that credits more than the month's charges
carries the excess to the customer's credit, and the next month is paid at the counter."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction

from billing.models import Invoice
from meters import services as meters
from meters.models import Anomaly
from meters.services import VerifyAction
from payments import cashier, selectors
from payments import services as payments
from payments.models import CreditEntry, CreditKind, PaymentAllocation
from tests.billing.test_bill_run import connect, lines_of, read, run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    """December 2026 is read and billed here, so "today" is late December."""
    with time_machine.travel(datetime.datetime(2026, 12, 28, 2, 0, tzinfo=datetime.UTC), tick=False):
        yield


def invoice_of(customer, month):
    return Invoice.objects.get(
        customer=customer, period__month=datetime.date(2026, month, 1), status="issued"
    )


def test_true_up_larger_than_the_month_goes_to_credit_and_pays_the_next_month(
    cs_user, supervisor_user, cashier_user, route, rt_a
):
    customer = connect(cs_user, route, rt_a)
    for month, stand in [(7, 130), (8, 160), (9, 190)]:  # 30 m3 a month
        read(cs_user, customer, month, stand=stand)
    for month in (10, 11):  # estimated at 30 m3: 11.000 + 14.800 + 20.000 + 11.500 = 57.300
        read(cs_user, customer, month, anomaly=Anomaly.LOCKED)
        run(supervisor_user, month)
    assert [invoice_of(customer, m).total for m in (10, 11)] == [57_300, 57_300]

    reading = read(cs_user, customer, 12, stand=205)  # 190 → 205: 15 m3 over three months, 5 each
    meters.reading_verify(actor=supervisor_user, reading=reading, action=VerifyAction.CONFIRM)  # low usage
    run(supervisor_user, 12)

    december = invoice_of(customer, 12)
    # October and November re-rated at 5 m3 (minimum 10 m3: 11.000) against 45.800 billed:
    # −34.800 each. December: 11.000 + 11.500 = 22.500. Together 22.500 − 69.600 = −47.100,
    # carried to credit: the invoice is 0 and its lines sum to it.
    assert lines_of(december) == [
        ("water_block", 5, 1_100, 5_500),
        ("minimum_topup", 5, 1_100, 5_500),
        ("fixed", None, 11_500, 11_500),
        ("adjustment", -25, -34_800, -34_800),
        ("adjustment", -25, -34_800, -34_800),
        ("to_credit", None, 47_100, 47_100),
    ]
    assert december.total == 0
    assert sum(line.total for line in december.lines.all()) == 0
    # A Rp 0 invoice owes nothing: never outstanding, so no payment path must allocate Rp 0 to it.
    assert december not in selectors.invoices_outstanding(customer=customer)
    assert selectors.credit_balance(customer=customer) == 47_100
    entry = CreditEntry.objects.get(customer=customer, kind=CreditKind.TRUE_UP)
    assert entry.amount == 47_100

    # October and November are still open, and bills are paid oldest first: October at the counter.
    october = invoice_of(customer, 10)
    cashier.shift_open(cashier=cashier_user, opening_float=0)
    payment = payments.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[october.pk], tendered=20_000
    )
    # 57.300 due: 47.100 from the credit, 10.200 in cash, 9.800 change.
    assert (payment.amount, payment.credit_used, payment.change) == (10_200, 47_100, 9_800)
    assert selectors.credit_balance(customer=customer) == 0
    assert selectors.invoice_is_settled(invoice_of(customer, 10))
    assert [a.amount for a in PaymentAllocation.objects.filter(payment=payment)] == [57_300]


def test_the_database_refuses_a_negative_invoice(cs_user, supervisor_user, route, rt_a):
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 7, stand=130)
    run(supervisor_user, 7)
    invoice = invoice_of(customer, 7)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(total=-1)


def test_a_correction_that_takes_back_spent_true_up_credit_is_reviewed(
    cs_user, supervisor_user, cashier_user, route, rt_a
):
    """December's true-up credit (47.100) paid October at the counter. Then December's reading is
    corrected up to 190 → 250 (60 m³ over three months, 20 a month): the true-up credit shrinks, and
    what was taken back had been spent. The credit goes below zero, and a supervisor is told."""
    from billing.corrections import invoice_correction_approve, invoice_correction_request
    from payments.models import ReviewItem, ReviewKind

    customer = connect(cs_user, route, rt_a)
    for month, stand in [(7, 130), (8, 160), (9, 190)]:
        read(cs_user, customer, month, stand=stand)
    for month in (10, 11):
        read(cs_user, customer, month, anomaly=Anomaly.LOCKED)
        run(supervisor_user, month)
    reading = read(cs_user, customer, 12, stand=205)
    meters.reading_verify(actor=supervisor_user, reading=reading, action=VerifyAction.CONFIRM)
    run(supervisor_user, 12)
    cashier.shift_open(cashier=cashier_user, opening_float=0)
    cashier.desk_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoice_of(customer, 10).pk], tendered=20_000
    )
    assert selectors.credit_balance(customer=customer) == 0
    assert not ReviewItem.objects.filter(kind=ReviewKind.NEGATIVE_CREDIT).exists()

    correction = invoice_correction_request(
        actor=cs_user,
        invoice=invoice_of(customer, 12),
        kind="new_reading",
        reason="Stand misread: 250, not 205",
        proposed_stand=250,
    )
    invoice_correction_approve(actor=supervisor_user, correction=correction)

    # October and November re-rated at 20 m³ (25.800 water) against 45.800 billed: −20.000 each.
    # December at 20 m³: 25.800 + 11.500 = 37.300; 37.300 − 40.000 = −2.700 to credit, so the
    # carry falls from 47.100 to 2.700: 44.400 taken back from a credit that was spent.
    assert invoice_of(customer, 12).total == 0
    assert selectors.credit_balance(customer=customer) == -44_400
    item = ReviewItem.objects.get(kind=ReviewKind.NEGATIVE_CREDIT, customer=customer)
    assert item.amount == 44_400
