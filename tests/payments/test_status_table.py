"""Every cell of the Midtrans status table: (answer, order state) -> what happens, as worked examples.

One order for September 47.300 and October 52.100 (99.400 Rupiah). Each cell starts from an order
in that state as the portal really reaches it (a paid order has its payment, a reversed one its
reversal, one held for review its review item), applies the status API's answer twice and checks
the order's state, the payment, reversal and review rows, the audit row and that the second time
changes nothing.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from payments import online, selectors, services
from payments.models import (
    CreditEntry,
    NotificationOutcome,
    OnlineOrder,
    OrderInvoice,
    OrderState,
    Payment,
    PaymentReversal,
    ReversalKind,
    ReviewItem,
    ReviewKind,
)
from pdam.audit import audit_entries_for
from tests.payments.factories import invoice_for

pytestmark = pytest.mark.django_db

SEP, OCT = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)
TOTAL = 47_300 + 52_100

C, P, D = OrderState.CREATED, OrderState.PENDING, OrderState.PAID
E, X, F = OrderState.EXPIRED, OrderState.CANCELLED, OrderState.FAILED
R, V = OrderState.REVERSED, OrderState.REVIEW
STATES = [C, P, D, E, X, F, R, V]

# What each Midtrans answer looks like from the status API.
ANSWERS = {
    "settlement": {"transaction_status": "settlement"},
    "capture_accept": {"transaction_status": "capture", "fraud_status": "accept"},
    "capture_challenge": {"transaction_status": "capture", "fraud_status": "challenge"},
    "pending": {"transaction_status": "pending"},
    "deny": {"transaction_status": "deny"},
    "cancel": {"transaction_status": "cancel"},
    "expire": {"transaction_status": "expire"},
    "failure": {"transaction_status": "failure"},
    "refund": {"transaction_status": "refund"},
    "partial_refund": {"transaction_status": "partial_refund"},
    "chargeback": {"transaction_status": "chargeback"},
    "partial_chargeback": {"transaction_status": "partial_chargeback"},
    "other": {"transaction_status": "authorize"},
}

# The rules, written out by hand: for each answer, one cell per state in STATES order
# (created, pending, paid, expired, cancelled, failed, reversed, review): "<state after>:<effect>".
# Effects: pay = one payment settles both invoices; reverse = the payment is reversed (its invoices
# are due again, a reversal review item); note = a reversal review item, no money moves; - = none.
EXPECTED = {
    "settlement": [
        "paid:pay",
        "paid:pay",
        "paid:-",
        "paid:pay",
        "paid:pay",
        "paid:pay",
        "reversed:-",
        "paid:pay",
    ],
    "capture_accept": [
        "paid:pay",
        "paid:pay",
        "paid:-",
        "paid:pay",
        "paid:pay",
        "paid:pay",
        "reversed:-",
        "paid:pay",
    ],
    "capture_challenge": [
        "pending:-",
        "pending:-",
        "paid:-",
        "expired:-",
        "cancelled:-",
        "failed:-",
        "reversed:-",
        "review:-",
    ],
    "pending": [
        "pending:-",
        "pending:-",
        "paid:-",
        "expired:-",
        "cancelled:-",
        "failed:-",
        "reversed:-",
        "review:-",
    ],
    "deny": [
        "failed:-",
        "failed:-",
        "reversed:reverse",
        "expired:-",
        "cancelled:-",
        "failed:-",
        "reversed:-",
        "failed:-",
    ],
    "cancel": [
        "cancelled:-",
        "cancelled:-",
        "reversed:reverse",
        "expired:-",
        "cancelled:-",
        "failed:-",
        "reversed:-",
        "cancelled:-",
    ],
    "expire": [
        "expired:-",
        "expired:-",
        "paid:-",
        "expired:-",
        "cancelled:-",
        "failed:-",
        "reversed:-",
        "expired:-",
    ],
    "failure": [
        "failed:-",
        "failed:-",
        "paid:-",
        "expired:-",
        "cancelled:-",
        "failed:-",
        "reversed:-",
        "failed:-",
    ],
    "refund": [
        "created:note",
        "pending:note",
        "reversed:reverse",
        "expired:note",
        "cancelled:note",
        "failed:note",
        "reversed:-",
        "review:note",
    ],
    "partial_refund": [
        "created:note",
        "pending:note",
        "paid:note",
        "expired:note",
        "cancelled:note",
        "failed:note",
        "reversed:-",
        "review:note",
    ],
    "chargeback": [
        "created:note",
        "pending:note",
        "reversed:reverse",
        "expired:note",
        "cancelled:note",
        "failed:note",
        "reversed:-",
        "review:note",
    ],
    "partial_chargeback": [
        "created:note",
        "pending:note",
        "paid:note",
        "expired:note",
        "cancelled:note",
        "failed:note",
        "reversed:-",
        "review:note",
    ],
    "other": [
        "created:-",
        "pending:-",
        "paid:-",
        "expired:-",
        "cancelled:-",
        "failed:-",
        "reversed:-",
        "review:-",
    ],
}
CELLS = [(answer, state, EXPECTED[answer][i]) for answer in ANSWERS for i, state in enumerate(STATES)]
REVERSAL_KINDS = {"deny": ReversalKind.DENY, "cancel": ReversalKind.DENY}


@pytest.fixture
def invoices(customer):
    return [invoice_for(customer, SEP, 47_300), invoice_for(customer, OCT, 52_100)]


def order_in(state: str, customer, invoices) -> OnlineOrder:
    """An order in `state`, reached the way the portal reaches it."""
    order = OnlineOrder.objects.create(
        order_id="PDAM-TABLE-1",
        customer=customer,
        gross_amount=TOTAL,
        invoice_key=",".join(str(i.pk) for i in invoices),
        state=P if state in (D, R) else state,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    OrderInvoice.objects.bulk_create(OrderInvoice(order=order, invoice=i, amount=i.total) for i in invoices)
    if state in (D, R):
        with transaction.atomic():
            services.customer_lock(customer.pk)
            payment = services.online_settlement_apply(order=order, paid_at=timezone.now())
    if state == R:
        services.payment_reverse(payment=payment, kind=ReversalKind.REFUND, reason="refunded")
        OnlineOrder.objects.filter(pk=order.pk).update(state=R)
    if state == V:
        ReviewItem.objects.create(
            kind=ReviewKind.AMOUNT_MISMATCH, customer=customer, order=order, amount=TOTAL, detail="40.000"
        )
    order.refresh_from_db()
    assert order.state == state
    return order


def status_for(order, answer: str, amount=TOTAL) -> dict:
    return {
        "order_id": order.order_id,
        "currency": "IDR",
        "gross_amount": f"{amount}.00",
        "payment_type": "bank_transfer",
        "transaction_id": "TX-1",
        "settlement_time": "2026-10-05 10:00:00",
        **ANSWERS[answer],
    }


def rows(order) -> dict:
    return {
        "payments": Payment.objects.filter(order=order).count(),
        "reversals": PaymentReversal.objects.filter(payment__order=order).count(),
        "reviews": sorted(ReviewItem.objects.filter(order=order).values_list("kind", flat=True)),
        "audit": list(
            audit_entries_for(order).filter(action="online_order.state").values_list("changes", flat=True)
        ),
    }


def test_the_table_decides_every_answer_for_every_order_state():
    answers = set(online.ANSWERS)
    assert answers == set(ANSWERS)
    assert set(online.STATUS_TABLE) == {(a, s) for a in answers for s in OrderState.values}
    assert set(online.STATUS_TABLE.values()) <= set(online.STEPS)
    assert set(STATES) == set(OrderState.values)


@pytest.mark.parametrize(("answer", "state", "expected"), CELLS, ids=[f"{a}-{s}" for a, s, _ in CELLS])
def test_cell(customer, invoices, answer, state, expected):
    order = order_in(state, customer, invoices)
    before = rows(order)
    after_state, effect = expected.split(":")

    outcome = online.status_apply(order=order, status=status_for(order, answer))

    order.refresh_from_db()
    after = rows(order)
    assert order.state == after_state
    changed = after_state != state
    assert outcome == (
        NotificationOutcome.APPLIED if changed or effect != "-" else NotificationOutcome.NO_CHANGE
    )
    assert after["payments"] == before["payments"] + (effect == "pay")
    assert after["reversals"] == before["reversals"] + (effect == "reverse")
    added = list(after["reviews"])
    for kind in before["reviews"]:
        added.remove(kind)
    assert added == ([ReviewKind.REVERSAL] if effect in ("reverse", "note") else [])
    assert after["audit"] == before["audit"] + ([{"state": [state, after_state]}] if changed else [])
    if effect == "pay":
        assert list(selectors.invoices_outstanding(customer=customer)) == []
        assert Payment.objects.get(order=order).amount == TOTAL
    if effect == "reverse":
        reversal = PaymentReversal.objects.get(payment__order=order)
        assert reversal.kind == REVERSAL_KINDS.get(answer, answer)
        assert list(selectors.invoices_outstanding(customer=customer)) == invoices
    if effect == "note":
        assert not PaymentReversal.objects.exists() or state == R

    again = online.status_apply(order=order, status=status_for(order, answer))  # the same answer twice
    order.refresh_from_db()
    assert again == NotificationOutcome.NO_CHANGE
    assert (order.state, rows(order)) == (after_state, after)


@pytest.mark.parametrize("state", [C, P, E, X, F])
def test_a_settlement_for_another_amount_is_held_for_review_and_audited(customer, invoices, state):
    order = order_in(state, customer, invoices)
    outcome = online.status_apply(order=order, status=status_for(order, "settlement", amount=40_000))
    order.refresh_from_db()
    assert (outcome, order.state) == (NotificationOutcome.MISMATCH, V)
    assert not Payment.objects.exists()
    assert rows(order)["reviews"] == [ReviewKind.AMOUNT_MISMATCH]
    assert rows(order)["audit"] == [{"state": [state, V]}]
    again = online.status_apply(order=order, status=status_for(order, "settlement", amount=40_000))
    assert again == NotificationOutcome.MISMATCH
    assert ReviewItem.objects.count() == 1
    assert len(rows(order)["audit"]) == 1


def test_a_settlement_for_another_amount_on_a_held_order_adds_nothing(customer, invoices):
    order = order_in(V, customer, invoices)
    outcome = online.status_apply(order=order, status=status_for(order, "settlement", amount=40_000))
    order.refresh_from_db()
    assert (outcome, order.state) == (NotificationOutcome.MISMATCH, V)
    assert rows(order) == {
        "payments": 0,
        "reversals": 0,
        "reviews": [ReviewKind.AMOUNT_MISMATCH],
        "audit": [],
    }


def test_a_status_naming_another_order_holds_it_and_the_change_is_audited(customer, invoices):
    order = order_in(P, customer, invoices)
    status = status_for(order, "settlement") | {"order_id": "PDAM-SOMEONE-ELSE"}
    assert online.status_apply(order=order, status=status) == NotificationOutcome.MISMATCH
    order.refresh_from_db()
    assert order.state == V
    assert rows(order) == {
        "payments": 0,
        "reversals": 0,
        "reviews": [ReviewKind.STATUS_MISMATCH],
        "audit": [{"state": [P, V]}],
    }


def test_a_late_settlement_on_an_expired_order_whose_bills_were_paid_becomes_credit(customer, invoices):
    """The payer paid the expired order's VA after paying the same bills by a second order."""
    first = order_in(E, customer, invoices)
    second = OnlineOrder.objects.create(
        order_id="PDAM-TABLE-2",
        customer=customer,
        gross_amount=TOTAL,
        invoice_key=first.invoice_key,
        state=P,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    OrderInvoice.objects.bulk_create(OrderInvoice(order=second, invoice=i, amount=i.total) for i in invoices)
    online.status_apply(order=second, status=status_for(second, "settlement"))

    assert (
        online.status_apply(order=first, status=status_for(first, "settlement"))
        == NotificationOutcome.APPLIED
    )
    first.refresh_from_db()
    assert first.state == D
    payment = Payment.objects.get(order=first)
    assert (payment.amount, payment.credit_created) == (TOTAL, TOTAL)
    assert selectors.credit_balance(customer=customer.pk) == 99_400
    assert CreditEntry.objects.filter(order=first).count() == 1
    assert rows(first)["reviews"] == [ReviewKind.OVERPAYMENT]
    assert rows(first)["audit"] == [{"state": [E, D]}]


def test_an_order_expiring_on_refresh_is_audited(customer, invoices, monkeypatch):
    order = order_in(P, customer, invoices)
    OnlineOrder.objects.filter(pk=order.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    order.refresh_from_db()
    monkeypatch.setattr(online.gateway, "transaction_status", lambda order_id: None)
    online.order_refresh(order=order)
    order.refresh_from_db()
    assert order.state == E
    assert rows(order)["audit"] == [{"state": [P, E]}]


def start(customer, invoices, monkeypatch, settings, snap) -> OnlineOrder | None:
    settings.MIDTRANS_SERVER_KEY = "SB-Mid-server-TEST"
    monkeypatch.setattr(online.gateway, "snap_create", snap)
    return online.order_start(
        customer=customer,
        invoice_ids=[i.pk for i in invoices],
        finish_url=lambda order: "http://portal.test/",
    )


def test_an_order_whose_snap_page_was_made_is_pending_and_audited(customer, invoices, monkeypatch, settings):
    def snap(parameters):
        return {"token": "tok-1", "redirect_url": "http://snap.test/tok-1"}

    order = start(customer, invoices, monkeypatch, settings, snap)
    assert (order.state, order.snap_token) == (P, "tok-1")
    assert rows(order)["audit"] == [{"state": [C, P]}]


def test_an_order_whose_snap_call_failed_is_failed_and_audited(customer, invoices, monkeypatch, settings):
    def snap(parameters):
        raise online.gateway.GatewayError("timeout")

    with pytest.raises(ValidationError):
        start(customer, invoices, monkeypatch, settings, snap)
    order = OnlineOrder.objects.get()
    assert (order.state, order.failure) == (F, "timeout")
    assert rows(order)["audit"] == [{"state": [C, F]}]


def test_an_order_cancelled_for_the_counter_is_audited(customer, invoices, monkeypatch):
    order = order_in(P, customer, invoices)
    monkeypatch.setattr(online.gateway, "transaction_cancel", lambda order_id: {"status_code": "200"})
    assert online.order_cancel(order=order) is True
    order.refresh_from_db()
    assert order.state == X
    assert rows(order)["audit"] == [{"state": [P, X]}]


@pytest.mark.parametrize(
    "made_up", ["capture_accept", "capture_challenge", "other", "", None, ["settlement"]]
)
def test_a_status_midtrans_never_sends_changes_nothing(customer, invoices, made_up):
    """Only Midtrans's own statuses are rows of the table; the table's row names are not."""
    order = order_in(P, customer, invoices)
    status = status_for(order, "settlement") | {"transaction_status": made_up}
    assert online.status_apply(order=order, status=status) == NotificationOutcome.NO_CHANGE
    order.refresh_from_db()
    assert order.state == P
    assert rows(order) == {"payments": 0, "reversals": 0, "reviews": [], "audit": []}
