"""The simulated Snap payment page: what it shows, and what posting it does."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from midtrans_sim import services
from midtrans_sim.models import SimNotification, SimTransaction
from tests.midtrans_sim.conftest import order, verify_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim(receiver):
    body = order("PDAM-0200", 37500, callbacks={"finish": "http://portal.test/bayar/selesai?from=snap"})
    body["item_details"] = [
        {"id": "INV-10", "price": 35000, "quantity": 1, "name": "Tagihan air Oktober 2026"},
        {"id": "DENDA", "price": 2500, "quantity": 1, "name": "Denda keterlambatan"},
    ]
    return services.snap_transaction_create(body=body, notification_urls=[receiver.url])


def page_url(sim: SimTransaction) -> str:
    return reverse("midtrans_sim:pay", args=[sim.token])


def test_page_shows_the_order_and_says_it_is_a_simulator(client, sim):
    page = client.get(page_url(sim))

    assert page.status_code == 200
    text = page.content.decode()
    assert "SIMULATOR" in text
    assert "PDAM-0200" in text
    assert "Rp 37.500" in text
    assert "Tagihan air Oktober 2026" in text
    assert "Rp 2.500" in text
    for label in [
        "BCA Virtual Account",
        "Permata Virtual Account",
        "Mandiri Bill Payment",
        "QRIS",
        "Indomaret",
    ]:
        assert label in text


def test_page_offers_only_the_enabled_payments(client, receiver):
    sim = services.snap_transaction_create(
        body=order("PDAM-0201", enabled_payments=["qris", "gopay"]), notification_urls=[receiver.url]
    )

    text = client.get(page_url(sim)).content.decode()

    assert "GoPay" in text
    assert "BCA Virtual Account" not in text


def test_paying_notifies_then_redirects_to_the_finish_url(client, sim, receiver):
    answer = client.post(page_url(sim), {"method": "bca_va", "outcome": "settle"})

    assert answer.status_code == 302
    target = urlsplit(answer["Location"])
    assert (target.netloc, target.path) == ("portal.test", "/bayar/selesai")
    assert parse_qs(target.query) == {
        "from": ["snap"],
        "order_id": ["PDAM-0200"],
        "status_code": ["200"],
        "transaction_status": ["settlement"],
    }
    [notification] = receiver.payloads
    assert notification["transaction_status"] == "settlement"
    assert notification["gross_amount"] == "37500.00"
    assert verify_signature(notification)
    assert receiver.received[0].headers["Content-Type"] == "application/json"
    assert SimNotification.objects.get().response_status == 200


def test_pending_only_leaves_it_pending_and_the_page_can_settle_it_later(client, sim, receiver):
    answer = client.post(page_url(sim), {"method": "alfamart", "outcome": "pending"})

    assert parse_qs(urlsplit(answer["Location"]).query)["transaction_status"] == ["pending"]
    assert parse_qs(urlsplit(answer["Location"]).query)["status_code"] == ["201"]
    again = client.get(page_url(sim)).content.decode()
    assert "Alfamart" in again
    assert "BCA Virtual Account" not in again

    client.post(page_url(sim), {"outcome": "settle"})

    assert [p["transaction_status"] for p in receiver.payloads] == ["pending", "settlement"]
    assert SimTransaction.objects.get().transaction_status == "settlement"


def test_a_paid_order_cannot_be_paid_again(client, sim, receiver):
    client.post(page_url(sim), {"method": "qris", "outcome": "settle"})

    page = client.get(page_url(sim))
    refused = client.post(page_url(sim), {"method": "qris", "outcome": "settle"})

    assert "nothing left to pay" in page.content.decode()
    assert refused.status_code == 410
    assert len(receiver.received) == 1


def test_an_expired_page_says_so_and_refuses_to_pay(client, sim, receiver):
    services.transaction_lapse(order_id=sim.order_id)

    page = client.get(page_url(sim))
    refused = client.post(page_url(sim), {"method": "bca_va", "outcome": "settle"})

    assert "Expired" in page.content.decode()
    assert "<form" not in page.content.decode()
    assert refused.status_code == 410
    assert receiver.received == []
    assert SimTransaction.objects.get().transaction_status == ""


def test_card_only_outcomes_need_a_card(client, sim, receiver):
    answer = client.post(page_url(sim), {"method": "gopay", "outcome": "challenge_then_accept"})

    assert answer.status_code == 400
    assert "credit card" in answer.content.decode()
    assert receiver.received == []


def test_card_challenge_then_accept(client, sim, receiver):
    answer = client.post(page_url(sim), {"method": "credit_card", "outcome": "challenge_then_accept"})

    assert parse_qs(urlsplit(answer["Location"]).query)["transaction_status"] == ["capture"]
    assert [(p["transaction_status"], p["fraud_status"], p["status_code"]) for p in receiver.payloads] == [
        ("capture", "challenge", "201"),
        ("capture", "accept", "200"),
    ]


def test_without_a_finish_url_the_page_shows_what_was_sent(client, receiver):
    sim = services.snap_transaction_create(body=order("PDAM-0202"), notification_urls=[receiver.url])

    answer = client.post(page_url(sim), {"method": "shopeepay", "outcome": "duplicate"})

    assert answer.status_code == 200
    assert answer.content.decode().count("settlement (200)") == 2


def test_unknown_token_is_404(client):
    assert (
        client.get(reverse("midtrans_sim:pay", args=["00000000-0000-0000-0000-000000000000"])).status_code
        == 404
    )


def test_index_lists_recent_orders_with_their_pages(client, sim):
    page = client.get(reverse("midtrans_sim:control_index"))

    assert page.status_code == 200
    assert "PDAM-0200" in page.content.decode()
    assert page_url(sim) in page.content.decode()


def test_lapse_over_the_control_api_expires_the_page_silently(client, sim, receiver):
    answer = client.post(reverse("midtrans_sim:control_lapse", args=[sim.order_id]))

    assert answer.status_code == 200
    assert "Expired" in client.get(page_url(sim)).content.decode()
    assert receiver.received == []
