"""Pay, the finish page and who may see an order (Midtrans faked here; the simulator runs in
test_midtrans.py)."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from payments import gateway
from payments.models import OnlineOrder, OrderState
from tests.payments.factories import invoice_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def snap(monkeypatch):
    """Snap answers with a token; the status API knows nothing yet (no method picked)."""
    calls = []

    def create(parameters):
        calls.append(parameters)
        token = f"tok-{len(calls)}"
        return {"token": token, "redirect_url": f"https://snap.example/v2/vtweb/{token}"}

    monkeypatch.setattr(gateway, "snap_create", create)
    monkeypatch.setattr(gateway, "transaction_status", lambda order_id: None)

    def cancel(order_id):  # no method picked yet: Midtrans does not know the transaction
        raise gateway.GatewayRefused("not found", status_code=404, response=None)

    monkeypatch.setattr(gateway, "transaction_cancel", cancel)
    return calls


@pytest.fixture
def bills(customer):
    return [
        invoice_for(customer, datetime.date(2026, 9, 1), 47_300),
        invoice_for(customer, datetime.date(2026, 10, 1), 52_100),
    ]


def pay(client, customer, invoices):
    return client.post(
        reverse("payments:pay"),
        {
            "number": customer.number,
            "invoice": [i.pk for i in invoices],
            "next": f"/?nomor={customer.number}",
        },
    )


def test_pay_sends_the_payer_to_snap_with_the_order(snap, customer, bills):
    client = Client()
    response = pay(client, customer, bills)
    assert response.status_code == 302
    assert response["Location"] == "https://snap.example/v2/vtweb/tok-1"
    order = OnlineOrder.objects.get()
    [parameters] = snap
    assert parameters["transaction_details"] == {"order_id": order.order_id, "gross_amount": 99_400}
    assert sum(item["price"] * item["quantity"] for item in parameters["item_details"]) == 99_400
    assert parameters["callbacks"]["finish"].endswith(reverse("payments:order", args=[order.order_id]))
    assert parameters["expiry"]["unit"] == "minute"
    assert parameters["expiry"]["start_time"].endswith("+0800")  # Makassar time, with its offset
    # The browser that paid may see its order, with no account.
    page = client.get(reverse("payments:order", args=[order.order_id]))
    assert page.status_code == 200
    assert order.order_id in page.content.decode()


def test_a_second_click_reuses_the_order(snap, customer, bills):
    client = Client()
    pay(client, customer, bills)
    assert pay(client, customer, bills)["Location"] == "https://snap.example/v2/vtweb/tok-1"
    assert len(snap) == 1 and OnlineOrder.objects.count() == 1


def test_a_gap_is_refused_with_a_message_and_nothing_made(snap, customer, bills):
    client = Client()
    client.cookies["django_language"] = "en"
    response = pay(client, customer, bills[1:])
    assert response["Location"] == f"/?nomor={customer.number}"
    page = client.get(response["Location"]).content.decode()
    assert "an older unpaid invoice cannot be skipped" in page
    assert not OnlineOrder.objects.exists() and not snap


def test_next_never_leaves_the_portal(snap, customer, bills):
    response = Client().post(
        reverse("payments:pay"), {"number": customer.number, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_no_one_else_sees_an_order(snap, customer, bills, persona_client):
    pay(Client(), customer, bills)
    order = OnlineOrder.objects.get()
    url = reverse("payments:order", args=[order.order_id])
    status = reverse("payments:order_status", args=[order.order_id])
    assert Client().get(url).status_code == 404  # another browser
    assert persona_client("other_customer").get(url).status_code == 404
    assert persona_client("other_customer").get(status).status_code == 404
    assert persona_client("customer").get(url).status_code == 200  # the owner, logged in
    assert persona_client("cashier").get(url).status_code == 200  # staff who read payments


def test_the_status_json_says_what_the_server_knows(snap, customer, bills):
    client = Client()
    pay(client, customer, bills)
    order = OnlineOrder.objects.get()
    data = client.get(reverse("payments:order_status", args=[order.order_id])).json()
    assert (data["state"], data["live"], data["receipt_url"]) == (OrderState.PENDING, True, None)
    # The finish page's query string says "settlement"; the server is not fooled by it.
    client.get(
        reverse("payments:order", args=[order.order_id]) + "?transaction_status=settlement&status_code=200"
    )
    assert OnlineOrder.objects.get().state == OrderState.PENDING


def test_a_second_visitor_paying_the_same_bills_gets_a_new_order_and_never_the_first_ones(
    snap, customer, bills
):
    # The second visitor may be the owner: a stranger's order never locks the bills (DESIGN.md §6).
    first = Client()
    pay(first, customer, bills)
    order = OnlineOrder.objects.get()
    second = Client()
    assert pay(second, customer, bills)["Location"] == "https://snap.example/v2/vtweb/tok-2"
    assert second.get(reverse("payments:order", args=[order.order_id])).status_code == 404
    assert OnlineOrder.objects.get(pk=order.pk).state == OrderState.CANCELLED
    new = OnlineOrder.objects.exclude(pk=order.pk).get()
    assert new.state == OrderState.PENDING and new.gross_amount == 99_400
    # The first visitor's old order stays theirs to look at, but the bills are paid in the new one.
    assert first.get(reverse("payments:order", args=[new.order_id])).status_code == 404


def test_the_signed_in_owner_gets_their_own_order_not_a_strangers(snap, customer, bills, persona_client):
    pay(Client(), customer, bills)
    stranger_order = OnlineOrder.objects.get()
    owner = persona_client("customer")
    assert pay(owner, customer, bills)["Location"] == "https://snap.example/v2/vtweb/tok-2"
    assert OnlineOrder.objects.get(pk=stranger_order.pk).state == OrderState.CANCELLED
    owners = OnlineOrder.objects.exclude(pk=stranger_order.pk).get()
    assert owners.created_by.username == "budi"
    # Now a stranger cannot take the owner's order away.
    stranger = Client()
    stranger.cookies["django_language"] = "en"
    response = pay(stranger, customer, bills)
    assert response["Location"] == f"/?nomor={customer.number}"
    assert "already in progress" in stranger.get(response["Location"]).content.decode()
    assert OnlineOrder.objects.get(pk=owners.pk).state == OrderState.PENDING


def test_midtrans_gets_the_masked_name_unless_the_signed_in_owner_pays(snap, customer, bills, persona_client):
    pay(Client(), customer, bills[:1])
    assert snap[0]["customer_details"]["first_name"] == "B*** S******"
    pay(persona_client("other_customer"), customer, bills[:1])  # supersedes the first order
    assert snap[-1]["customer_details"]["first_name"] == "B*** S******"
    pay(persona_client("customer"), customer, bills[:1])
    assert snap[-1]["customer_details"]["first_name"] == "Budi Santoso"
    assert len(snap) == 3


def _pay_answer(number: str, invoice_ids: list[int]) -> tuple[int, str, list[str]]:
    response = Client().post(
        reverse("payments:pay"), {"number": number, "invoice": invoice_ids, "next": "/?nomor=" + number}
    )
    flashed = [str(message) for message in get_messages(response.wsgi_request)]
    return response.status_code, response["Location"].replace(number, "N"), flashed


def test_pay_answers_an_unknown_and_a_known_number_the_same_way(snap, customer, other_customer):
    foreign = invoice_for(other_customer, datetime.date(2026, 9, 1), 47_300)
    known = _pay_answer(customer.number, [foreign.pk])
    unknown = _pay_answer("0999999999", [foreign.pk])
    assert known == unknown
    assert not OnlineOrder.objects.exists() and not snap


def test_pay_is_throttled_per_address_like_the_bill_check(snap, customer, bills, settings):
    settings.BILL_CHECK_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.50")
    answers = [
        client.post(reverse("payments:pay"), {"number": "0999999999", "invoice": [bills[0].pk]}).status_code
        for _ in range(4)
    ]
    assert answers == [302, 302, 302, 429]
    # The throttled answer makes no order, even for a real selection.
    assert pay(client, customer, bills).status_code == 429
    assert not OnlineOrder.objects.exists() and not snap


@pytest.mark.parametrize("invoice_id", [str(2**63), "9" * 30, "١٢", "0"])
def test_pay_with_an_id_no_database_holds_is_refused_not_a_500(snap, customer, bills, invoice_id):
    response = Client().post(reverse("payments:pay"), {"number": customer.number, "invoice": [invoice_id]})
    assert response.status_code == 302
    assert not OnlineOrder.objects.exists() and not snap
