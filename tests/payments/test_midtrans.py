"""Online payments end to end through the local Midtrans simulator, with the real `midtransclient`.

The portal and the simulator are both served by pytest-django's live server: the portal calls
Snap and the status API over HTTP, the simulator posts signed notifications to the portal's
endpoint over HTTP. Invoices: September 47.300, October 52.100.
"""

import datetime
import hashlib
import json
import threading
import time

import pytest
import requests
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from customers.models import Customer
from midtrans_sim import services as sim
from midtrans_sim.models import SimTransaction
from payments import online, selectors, services
from payments.models import (
    Channel,
    GatewayNotification,
    NotificationOutcome,
    OnlineOrder,
    OrderState,
    Payment,
    PaymentAllocation,
    ReviewItem,
    ReviewKind,
)
from tests.customers.factories import CustomerFactory
from tests.payments.factories import invoice_for

pytestmark = pytest.mark.django_db(transaction=True)

NOWHERE = "http://127.0.0.1:9/nowhere"  # a notification Midtrans sent and nobody received
SEP, OCT = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def _portal_talks_to_the_simulator(live_server, settings):
    settings.MIDTRANS_SIMULATOR_URL = f"{live_server.url}/midtrans-sim"
    settings.MIDTRANS_TIMEOUT_SECONDS = 5
    settings.ALLOWED_HOSTS = ["*"]


@pytest.fixture
def notify_url(live_server):
    return f"{live_server.url}/payments/midtrans/notification/"


@pytest.fixture
def payer() -> Customer:
    customer = CustomerFactory(name="Budi Santoso")
    customer.sep = invoice_for(customer, SEP, 47_300)
    customer.oct = invoice_for(customer, OCT, 52_100)
    return customer


def start(customer, invoices) -> OnlineOrder:
    return online.order_start(
        customer=customer,
        invoice_ids=[i.pk for i in invoices],
        finish_url=lambda order: f"http://portal.test/payments/orders/{order.order_id}/",
    )


def act(order, outcome, method="bca_va"):
    return sim.transaction_act(order_id=order.order_id, outcome=outcome, method=method)


def state(order) -> str:
    return OnlineOrder.objects.get(pk=order.pk).state


def outcomes(order) -> list[str]:
    return list(
        GatewayNotification.objects.filter(order=order).order_by("pk").values_list("outcome", flat=True)
    )


def post(notify_url, body: str) -> requests.Response:
    return requests.post(
        notify_url, data=body.encode(), headers={"Content-Type": "application/json"}, timeout=10
    )


def test_snap_order_is_committed_with_its_items_and_expiry(payer):
    order = start(payer, [payer.sep, payer.oct])
    assert order.state == OrderState.PENDING
    assert order.gross_amount == 99_400
    assert order.redirect_url.endswith(order.snap_token)
    assert len(order.order_id) <= 50
    stored = SimTransaction.objects.get(order_id=order.order_id)
    assert stored.gross_amount == 99_400
    assert [item["price"] for item in stored.items] == [47_300, 52_100]


def test_a_settlement_is_applied_once(payer):
    order = start(payer, [payer.sep, payer.oct])
    result = act(order, "settle")
    assert [n.response_status for n in result.notifications] == [200]
    assert state(order) == OrderState.PAID
    payment = Payment.objects.get(order=order)
    assert (payment.channel, payment.amount, payment.receipt_number) == (
        Channel.ONLINE,
        99_400,
        "ONL-00000001",
    )
    assert list(selectors.invoices_outstanding(customer=payer)) == []
    assert outcomes(order) == [NotificationOutcome.APPLIED]


def test_the_same_notification_five_times_is_applied_once(payer, notify_url):
    order = start(payer, [payer.sep])
    result = act(order, "duplicate")  # settlement sent twice in a row
    body = result.notifications[-1].body
    assert [post(notify_url, body).status_code for _ in range(5)] == [200] * 5
    assert Payment.objects.count() == 1
    assert PaymentAllocation.objects.count() == 1
    assert outcomes(order).count(NotificationOutcome.APPLIED) == 1
    assert GatewayNotification.objects.filter(order=order).count() == 7


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (row locks across connections)"
)
def test_the_same_notification_five_times_concurrently_is_applied_once(payer, notify_url):
    order = start(payer, [payer.sep])
    act(order, "pending")
    sim.transaction_act(order_id=order.order_id, outcome="settle", notify_url=NOWHERE)
    body = sim.notification_resend(order_id=order.order_id, notify_url=NOWHERE)[0].body
    barrier = threading.Barrier(5)
    answers = []

    def repost():
        barrier.wait()
        answers.append(post(notify_url, body).status_code)

    threads = [threading.Thread(target=repost) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 5
    assert Payment.objects.count() == 1
    assert PaymentAllocation.objects.count() == 1
    assert selectors.credit_balance(customer=payer) == 0
    assert outcomes(order).count(NotificationOutcome.APPLIED) == 1
    assert GatewayNotification.objects.filter(order=order).count() == 6  # the pending one and five


def test_settlement_then_a_late_pending_stays_paid(payer, notify_url):
    order = start(payer, [payer.sep])
    pending = act(order, "pending").notifications[0].body
    act(order, "settle_after_pending")  # settles the pending transaction
    assert state(order) == OrderState.PAID
    assert post(notify_url, pending).status_code == 200  # the pending one again, late
    assert state(order) == OrderState.PAID
    assert Payment.objects.count() == 1


def test_pending_settlement_then_deny_reverses(payer):
    order = start(payer, [payer.sep, payer.oct])
    act(order, "pending", method="permata_va")
    assert state(order) == OrderState.PENDING
    act(order, "settle_then_deny", method="permata_va")
    assert state(order) == OrderState.REVERSED
    payment = Payment.objects.get(order=order)
    assert payment.reversal.kind == "deny"
    assert len(selectors.invoices_outstanding(customer=payer)) == 2
    assert ReviewItem.objects.filter(kind=ReviewKind.REVERSAL, payment=payment).exists()


def test_a_forged_signature_is_stored_refused_and_changes_nothing(payer, notify_url):
    order = start(payer, [payer.sep])
    body = sim.notification_payload(
        order_id=order.order_id,
        gross_amount=47_300,
        transaction_status="settlement",
        server_key="not-the-key",
    )
    response = post(notify_url, json.dumps(body))
    assert response.status_code == 403
    note = GatewayNotification.objects.get()
    assert (note.outcome, note.signature_valid, note.sent_order_id) == (
        NotificationOutcome.FORGED,
        False,
        order.order_id,
    )
    assert state(order) == OrderState.PENDING
    assert not Payment.objects.exists()


def test_a_signature_over_10000_where_10000_00_was_sent_is_refused(notify_url, settings):
    body = sim.notification_payload(order_id="PDAM-X", gross_amount=10_000, transaction_status="settlement")
    body["signature_key"] = sim.signature_key(
        order_id="PDAM-X",
        status_code=body["status_code"],
        gross_amount="10000",
        server_key=settings.MIDTRANS_SERVER_KEY,
    )
    assert body["gross_amount"] == "10000.00"
    assert post(notify_url, json.dumps(body)).status_code == 403
    assert GatewayNotification.objects.get().outcome == NotificationOutcome.FORGED


def test_garbage_is_stored_and_refused(notify_url):
    assert post(notify_url, "<xml>not json</xml>").status_code == 400
    assert GatewayNotification.objects.get().body == "<xml>not json</xml>"


def test_an_amount_that_differs_from_the_order_is_held_for_review(payer):
    order = start(payer, [payer.sep])
    SimTransaction.objects.filter(order_id=order.order_id).update(gross_amount=40_000)
    act(order, "settle")
    assert state(order) == OrderState.REVIEW
    assert not Payment.objects.exists()
    assert list(selectors.invoices_outstanding(customer=payer)) == [payer.sep, payer.oct]
    [item] = ReviewItem.objects.filter(kind=ReviewKind.AMOUNT_MISMATCH)
    assert item.order == order
    assert outcomes(order) == [NotificationOutcome.MISMATCH]


def test_an_unknown_order_is_stored_flagged_and_answered_200(notify_url):
    body = sim.notification_payload(
        order_id="SOMEONE-ELSES-1", gross_amount=25_000, transaction_status="settlement"
    )
    assert post(notify_url, json.dumps(body)).status_code == 200
    note = GatewayNotification.objects.get()
    assert note.outcome == NotificationOutcome.UNKNOWN_ORDER
    [item] = ReviewItem.objects.filter(kind=ReviewKind.UNKNOWN_ORDER)
    assert (item.notification, item.amount) == (note, 25_000)


def test_capture_under_fraud_challenge_waits_then_accept_pays(payer, settings):
    settings.MIDTRANS_ENABLED_PAYMENTS = [*settings.MIDTRANS_ENABLED_PAYMENTS, "credit_card"]
    order = start(payer, [payer.sep])
    result = act(order, "challenge_then_accept", method="credit_card")
    assert [json.loads(n.body)["fraud_status"] for n in result.notifications] == ["challenge", "accept"]
    # The challenge leaves the order waiting; the accept pays it.
    assert outcomes(order) == [NotificationOutcome.NO_CHANGE, NotificationOutcome.APPLIED]
    assert state(order) == OrderState.PAID
    assert Payment.objects.get(order=order).amount == 47_300


def test_a_challenge_then_deny_does_not_pay(payer, settings):
    settings.MIDTRANS_ENABLED_PAYMENTS = [*settings.MIDTRANS_ENABLED_PAYMENTS, "credit_card"]
    order = start(payer, [payer.sep])
    sim.transaction_act(order_id=order.order_id, outcome="challenge_then_deny", method="credit_card")
    assert state(order) == OrderState.FAILED
    assert not Payment.objects.exists()


def test_a_convenience_store_payment_without_fraud_status_pays(payer):
    order = start(payer, [payer.sep])
    result = act(order, "settle_after_pending", method="indomaret")
    assert all("fraud_status" not in json.loads(n.body) for n in result.notifications)
    assert state(order) == OrderState.PAID


@pytest.mark.parametrize("behaviour", ["timeout", "error500", "html", "html200"])
def test_snap_failing_marks_the_order_failed_and_tells_the_payer(payer, settings, behaviour):
    settings.MIDTRANS_TIMEOUT_SECONDS = 0.5
    sim.fault_arm(endpoint="snap_create", behaviour=behaviour, seconds=2)
    with pytest.raises(ValidationError, match="Nothing was charged"):
        start(payer, [payer.sep])
    failed = OnlineOrder.objects.get()
    assert failed.state == OrderState.FAILED
    if behaviour == "timeout":
        # Midtrans made the order after the portal gave up: let the simulator finish, so that it
        # does not finish during the next test.
        for _ in range(100):
            if SimTransaction.objects.filter(order_id=failed.order_id).exists():
                break
            time.sleep(0.05)
    # The next click makes a new order with a new order id: an order id is never reused.
    order = start(payer, [payer.sep])
    assert order.state == OrderState.PENDING and order.order_id != failed.order_id


def test_a_second_click_on_pay_reuses_the_live_order(payer):
    first = start(payer, [payer.sep, payer.oct])
    second = start(payer, [payer.sep, payer.oct])
    assert second.pk == first.pk
    assert SimTransaction.objects.count() == 1
    other = start(payer, [payer.sep])  # another set of invoices: its own order
    assert other.pk != first.pk


def test_skipping_an_older_invoice_is_refused(payer):
    with pytest.raises(ValidationError, match="oldest"):
        start(payer, [payer.oct])
    assert not OnlineOrder.objects.exists()


def test_two_attempts_both_settling_the_second_becomes_credit(payer):
    just_september = start(payer, [payer.sep])
    both = start(payer, [payer.sep, payer.oct])
    act(just_september, "settle")
    act(both, "settle", method="qris")
    assert state(just_september) == state(both) == OrderState.PAID
    assert list(selectors.invoices_outstanding(customer=payer)) == []
    # 47.300 + 99.400 received; 99.400 on invoices; 47.300 credit, flagged.
    assert selectors.credit_balance(customer=payer) == 47_300
    assert ReviewItem.objects.filter(kind=ReviewKind.OVERPAYMENT, amount=47_300).count() == 1


def test_the_handler_failing_answers_5xx_and_the_retry_succeeds(payer, monkeypatch):
    order = start(payer, [payer.sep])
    real = services.online_settlement_apply
    calls = []

    def failing_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(services, "online_settlement_apply", failing_once)
    first = act(order, "settle")
    assert first.notifications[0].response_status == 500
    assert state(order) == OrderState.PENDING
    assert not Payment.objects.exists()
    [retry] = sim.notification_resend(order_id=order.order_id)  # Midtrans retries later
    assert retry.response_status == 200
    assert state(order) == OrderState.PAID
    assert Payment.objects.count() == 1
    assert outcomes(order) == [NotificationOutcome.FAILED, NotificationOutcome.APPLIED]


def test_the_status_api_unreachable_answers_503(payer, settings):
    order = start(payer, [payer.sep])
    sim.fault_arm(endpoint="status", behaviour="error500")
    result = act(order, "settle")
    assert result.notifications[0].response_status == 503
    assert state(order) == OrderState.PENDING
    [retry] = sim.notification_resend(order_id=order.order_id)
    assert retry.response_status == 200
    assert state(order) == OrderState.PAID


def test_the_sweeper_expires_a_page_that_expired_without_a_notification(payer):
    never_opened = start(payer, [payer.sep])
    waiting = start(payer, [payer.sep, payer.oct])
    act(waiting, "pending", method="bni_va")  # a VA number was issued, never paid
    for order in (never_opened, waiting):
        sim.transaction_lapse(order_id=order.order_id)
    past = timezone.now() - datetime.timedelta(hours=1)
    OnlineOrder.objects.update(expires_at=past, updated_at=past, last_checked_at=past)
    assert online.orders_sweep() == {"checked": 2, "paid": 0, "expired": 2}
    assert state(never_opened) == state(waiting) == OrderState.EXPIRED
    # A new click makes a new order for the same invoices.
    assert start(payer, [payer.sep]).pk not in (never_opened.pk, waiting.pk)


def test_one_failing_order_never_stalls_the_sweeper(payer, monkeypatch):
    from payments.models import ReviewItem, ReviewKind

    bad = start(payer, [payer.sep])
    good = start(payer, [payer.sep, payer.oct])
    for order in (bad, good):
        sim.transaction_lapse(order_id=order.order_id)
    past = timezone.now() - datetime.timedelta(hours=1)
    OnlineOrder.objects.update(expires_at=past, updated_at=past, last_checked_at=past)
    OnlineOrder.objects.filter(pk=bad.pk).update(updated_at=past - datetime.timedelta(minutes=1))  # first
    real = online.order_refresh

    def failing_for_bad(*, order):
        if order.pk == bad.pk:
            raise RuntimeError("broken row")
        return real(order=order)

    monkeypatch.setattr(online, "order_refresh", failing_for_bad)
    assert online.orders_sweep() == {"checked": 1, "paid": 0, "expired": 1, "failed": 1}
    assert (state(bad), state(good)) == (OrderState.PENDING, OrderState.EXPIRED)
    item = ReviewItem.objects.get(kind=ReviewKind.JOB_FAILED)
    assert (item.order_id, item.customer_id) == (bad.pk, bad.customer_id)
    assert "broken row" in item.detail


def test_the_sweeper_finds_a_payment_whose_notification_was_lost(payer):
    order = start(payer, [payer.sep])
    sim.transaction_act(order_id=order.order_id, outcome="settle", method="gopay", notify_url=NOWHERE)
    assert state(order) == OrderState.PENDING
    past = timezone.now() - datetime.timedelta(hours=1)
    OnlineOrder.objects.update(updated_at=past, last_checked_at=past)
    assert online.orders_sweep()["paid"] == 1
    assert state(order) == OrderState.PAID


def test_a_refund_reverses_the_payment(payer):
    order = start(payer, [payer.sep])
    act(order, "settle")
    act(order, "refund")
    assert state(order) == OrderState.REVERSED
    assert Payment.objects.get(order=order).reversal.kind == "refund"
    assert list(selectors.invoices_outstanding(customer=payer)) == [payer.sep, payer.oct]


def test_cancelling_for_the_counter(payer):
    order = start(payer, [payer.sep])
    act(order, "pending")
    assert online.order_cancel(order=order) is True
    assert state(order) == OrderState.CANCELLED
    assert SimTransaction.objects.get(order_id=order.order_id).transaction_status == "cancel"


def test_cancelling_an_order_already_paid_tells_the_cashier(payer):
    order = start(payer, [payer.sep])
    sim.transaction_act(order_id=order.order_id, outcome="settle", method="gopay", notify_url=NOWHERE)
    with pytest.raises(ValidationError, match="just paid online"):
        online.order_cancel(order=order)
    assert state(order) == OrderState.PAID
    assert Payment.objects.filter(order=order).count() == 1


def test_a_non_ascii_signature_is_refused_403_not_500(payer, notify_url):
    order = start(payer, [payer.sep])
    body = sim.notification_payload(
        order_id=order.order_id, gross_amount=47_300, transaction_status="settlement"
    )
    body["signature_key"] = "é" * 128
    assert post(notify_url, json.dumps(body, ensure_ascii=False)).status_code == 403
    assert GatewayNotification.objects.get().outcome == NotificationOutcome.FORGED
    assert state(order) == OrderState.PENDING
    assert not Payment.objects.exists()


def test_deeply_nested_json_is_refused_400_and_stored_compactly(notify_url):
    body = '{"order_id": ' + "[" * 50_000 + "]" * 50_000 + "}"
    assert post(notify_url, body).status_code == 400
    note = GatewayNotification.objects.get()
    assert note.outcome == NotificationOutcome.FAILED
    assert len(note.body) < 600


def test_moderately_nested_json_is_refused_400(notify_url):
    body = '{"order_id": ' + "[" * 200 + "]" * 200 + "}"
    assert post(notify_url, body).status_code == 400
    assert len(GatewayNotification.objects.get().body) < 600


def test_an_oversized_body_is_refused_400_and_stored_compactly(notify_url):
    body = json.dumps({"order_id": "PDAM-X", "padding": "x" * 1_000_000})
    assert post(notify_url, body).status_code == 400
    note = GatewayNotification.objects.get()
    assert note.outcome == NotificationOutcome.FAILED
    assert len(note.body) < 600
    assert note.body.endswith(f"[{len(body)} bytes]")


@pytest.mark.parametrize(
    "change", [{"order_id": "PDAM-SOMEONE-ELSE"}, {"currency": "USD"}, {"currency": None}]
)
def test_a_status_answer_naming_another_order_or_currency_is_held_not_applied(payer, monkeypatch, change):
    order = start(payer, [payer.sep])
    real = online.gateway.transaction_status

    def other(order_id):
        status = dict(real(order_id))
        status.update(change)
        return {key: value for key, value in status.items() if value is not None}

    monkeypatch.setattr(online.gateway, "transaction_status", other)
    act(order, "settle")
    assert state(order) == OrderState.REVIEW
    assert not Payment.objects.exists()
    [item] = ReviewItem.objects.filter(kind=ReviewKind.STATUS_MISMATCH)
    assert (item.order, item.amount) == (order, 47_300)
    assert outcomes(order) == [NotificationOutcome.MISMATCH]
    online.order_refresh(order=order)  # asking again changes nothing and adds no second item
    assert state(order) == OrderState.REVIEW
    assert ReviewItem.objects.filter(kind=ReviewKind.STATUS_MISMATCH).count() == 1


def test_old_notifications_are_purged_except_those_tied_to_money(payer, notify_url):
    paid = start(payer, [payer.sep])
    act(paid, "settle")  # tied to a payment
    unknown = sim.notification_payload(
        order_id="SOMEONE-ELSES-2", gross_amount=9_000, transaction_status="settlement"
    )
    assert post(notify_url, json.dumps(unknown)).status_code == 200  # tied to a review item
    assert post(notify_url, "<xml>not json</xml>").status_code == 400  # tied to nothing
    forged = dict(unknown, signature_key="0" * 128)
    assert post(notify_url, json.dumps(forged)).status_code == 403  # tied to nothing
    kept = set(GatewayNotification.objects.filter(order=paid).values_list("pk", flat=True))
    kept.add(ReviewItem.objects.get(kind=ReviewKind.UNKNOWN_ORDER).notification_id)
    assert GatewayNotification.objects.count() == len(kept) + 2
    fresh = post(notify_url, "still garbage")  # recent: stays whatever it is
    assert fresh.status_code == 400
    recent = GatewayNotification.objects.order_by("-pk").first()
    GatewayNotification.objects.exclude(pk=recent.pk).update(
        received_at=timezone.now() - datetime.timedelta(days=31)
    )
    assert online.notifications_purge(older_than_days=30) == 2
    assert set(GatewayNotification.objects.values_list("pk", flat=True)) == kept | {recent.pk}
    assert Payment.objects.get().order == paid


@pytest.mark.parametrize("gross_amount", ["1e999", "NaN", "-Infinity", "99999999999999999999999"])
def test_a_signed_unknown_order_with_an_absurd_amount_is_stored_not_a_500(notify_url, settings, gross_amount):
    order_id, status_code = "NOPE-2", "200"
    signature = hashlib.sha512(
        f"{order_id}{status_code}{gross_amount}{settings.MIDTRANS_SERVER_KEY}".encode()
    ).hexdigest()
    body = {
        "order_id": order_id,
        "status_code": status_code,
        "gross_amount": gross_amount,
        "transaction_status": "settlement",
        "signature_key": signature,
    }
    assert post(notify_url, json.dumps(body)).status_code == 200
    [item] = ReviewItem.objects.filter(kind=ReviewKind.UNKNOWN_ORDER)
    assert item.amount == 0


# --- A stranger's order never blocks the owner (DESIGN.md §6) -------------------------------------


def start_as(customer, invoices, *, session_orders, user=None) -> OnlineOrder:
    """Pay from a browser: `session_orders` are the orders that session started."""
    order = online.order_start(
        customer=customer,
        invoice_ids=[i.pk for i in invoices],
        finish_url=lambda order: f"http://portal.test/payments/orders/{order.order_id}/",
        created_by=user or AnonymousUser(),
        session_orders=session_orders,
    )
    session_orders.append(order.order_id)
    return order


def test_another_session_paying_the_same_bills_cancels_the_strangers_order_at_midtrans(payer):
    stranger, owner = [], []
    strangers = start_as(payer, [payer.sep, payer.oct], session_orders=stranger)
    act(strangers, "pending")  # a virtual account number is waiting for the stranger's money
    owners = start_as(payer, [payer.sep, payer.oct], session_orders=owner)
    assert owners.pk != strangers.pk and owners.redirect_url
    assert state(strangers) == OrderState.CANCELLED
    assert SimTransaction.objects.get(order_id=strangers.order_id).transaction_status == "cancel"
    act(owners, "settle")
    assert state(owners) == OrderState.PAID
    assert list(selectors.invoices_outstanding(customer=payer)) == []
    assert Payment.objects.get().amount == 99_400


def test_the_signed_in_owner_gets_a_new_order_and_a_late_payment_of_the_old_one_becomes_credit(
    payer, customer_user
):
    payer.user = customer_user
    payer.save()
    strangers = start_as(payer, [payer.sep, payer.oct], session_orders=[])  # no method picked yet
    owners = start_as(payer, [payer.sep, payer.oct], session_orders=[], user=customer_user)
    assert owners.pk != strangers.pk
    assert state(strangers) == OrderState.CANCELLED
    act(owners, "settle")
    # The stranger's Snap page was still open: the money is kept as credit, never applied twice.
    act(strangers, "settle", method="qris")
    assert state(owners) == OrderState.PAID
    assert list(selectors.invoices_outstanding(customer=payer)) == []
    assert PaymentAllocation.objects.filter(invoice=payer.sep).count() == 1
    assert selectors.credit_balance(customer=payer) == 99_400
    assert ReviewItem.objects.filter(kind=ReviewKind.OVERPAYMENT, amount=99_400).count() == 1


def test_a_stranger_cannot_cancel_the_signed_in_owners_order(payer, customer_user):
    payer.user = customer_user
    payer.save()
    owners = start_as(payer, [payer.sep], session_orders=[], user=customer_user)
    with pytest.raises(ValidationError, match="already in progress"):
        start_as(payer, [payer.sep], session_orders=[])
    assert state(owners) == OrderState.PENDING
    # The owner's own second click still reuses it, from any browser.
    assert start_as(payer, [payer.sep], session_orders=[], user=customer_user).pk == owners.pk


def test_a_paid_stranger_order_refuses_the_new_one_without_naming_it(payer):
    strangers = start_as(payer, [payer.sep], session_orders=[])
    sim.transaction_act(order_id=strangers.order_id, outcome="settle", method="gopay", notify_url=NOWHERE)
    with pytest.raises(ValidationError) as refused:
        start_as(payer, [payer.sep], session_orders=[])
    assert strangers.order_id not in " ".join(refused.value.messages)
    assert state(strangers) == OrderState.PAID
    assert OnlineOrder.objects.count() == 1 and Payment.objects.count() == 1
