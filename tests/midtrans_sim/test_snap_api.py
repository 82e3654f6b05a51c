"""Snap create, driven by the real midtransclient over HTTP: what Midtrans accepts and refuses."""

import datetime
import re
import uuid

import pytest
import requests
from midtransclient.error_midtrans import MidtransAPIError

from midtrans_sim.models import SimTransaction
from tests.midtrans_sim.conftest import make_snap, order, over_http

pytestmark = over_http


def test_create_answers_token_and_redirect_url(snap, sim_url, receiver):
    answer = snap.create_transaction(order("PDAM-0001", callbacks={"finish": "http://portal.test/done"}))

    token = uuid.UUID(answer["token"])
    assert answer["redirect_url"] == f"{sim_url}/snap/v2/vtweb/{token}"
    sim = SimTransaction.objects.get(order_id="PDAM-0001")
    assert sim.token == token
    assert sim.gross_amount == 10000
    assert sim.items[0]["name"] == "Tagihan air 2026-10"
    assert sim.finish_url == "http://portal.test/done"
    assert sim.notification_urls == [receiver.url]
    assert sim.transaction_status == ""


def test_redirect_url_serves_the_payment_page_and_a_browser_can_pay(snap, receiver):
    answer = snap.create_transaction(order("PDAM-0002", callbacks={"finish": "http://portal.test/done"}))
    browser = requests.Session()

    page = browser.get(answer["redirect_url"], timeout=5)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    paid = browser.post(
        answer["redirect_url"],
        data={"csrfmiddlewaretoken": csrf, "method": "bri_va", "outcome": "settle"},
        allow_redirects=False,
        timeout=5,
    )
    browser.close()

    assert page.status_code == 200
    assert "PDAM-0002" in page.text
    assert "Rp 10.000" in page.text
    assert paid.status_code == 302
    assert paid.headers["Location"] == (
        "http://portal.test/done?order_id=PDAM-0002&status_code=200&transaction_status=settlement"
    )
    assert receiver.payloads[0]["va_numbers"][0]["bank"] == "bri"


@pytest.mark.parametrize("key", ["SB-Mid-server-WRONG", ""])
def test_wrong_server_key_is_refused_with_401(sim_url, key):
    with pytest.raises(MidtransAPIError) as refused:
        make_snap(sim_url, server_key=key).create_transaction(order("PDAM-0003"))

    assert refused.value.http_status_code == 401
    assert "unauthorized" in refused.value.api_response_dict["error_messages"][0]
    assert not SimTransaction.objects.exists()


def test_no_authorization_header_is_refused_with_401(sim_url):
    answer = requests.post(f"{sim_url}/snap/v1/transactions", json=order("PDAM-0004"), timeout=5)

    assert answer.status_code == 401
    assert "error_messages" in answer.json()


@pytest.mark.parametrize(
    ("order_id", "message"),
    [
        ("PDAM 0005", "transaction_details.order_id is invalid"),
        ("PDAM/0005", "transaction_details.order_id is invalid"),
        ("PDAM#0005", "transaction_details.order_id is invalid"),
        ("P" * 51, "transaction_details.order_id is too long"),
        ("", "transaction_details.order_id is required"),
    ],
)
def test_bad_order_ids_are_refused(snap, order_id, message):
    with pytest.raises(MidtransAPIError) as refused:
        snap.create_transaction(order(order_id))

    assert refused.value.http_status_code == 400
    assert any(m.startswith(message) for m in refused.value.api_response_dict["error_messages"])
    assert not SimTransaction.objects.exists()


@pytest.mark.parametrize("order_id", ["P" * 50, "Aa0-_~.z"])
def test_order_ids_up_to_50_allowed_characters_are_accepted(snap, order_id):
    snap.create_transaction(order(order_id))

    assert SimTransaction.objects.filter(order_id=order_id).exists()


def test_items_not_summing_to_gross_amount_are_refused(snap):
    body = order("PDAM-0006", 15000)
    body["item_details"] = [
        {"id": "INV-1", "price": 10000, "quantity": 1, "name": "Tagihan air"},
        {"id": "DENDA", "price": 2000, "quantity": 2, "name": "Denda"},
    ]

    with pytest.raises(MidtransAPIError) as refused:
        snap.create_transaction(body)

    assert refused.value.api_response_dict["error_messages"] == [
        "transaction_details.gross_amount is not equal to the sum of item_details"
    ]


def test_items_with_quantities_summing_to_gross_amount_are_accepted(snap):
    body = order("PDAM-0007", 14000)
    body["item_details"] = [
        {"id": "INV-1", "price": 10000, "quantity": 1, "name": "Tagihan air"},
        {"id": "DENDA", "price": 2000, "quantity": 2, "name": "Denda"},
    ]

    snap.create_transaction(body)

    assert SimTransaction.objects.get(order_id="PDAM-0007").gross_amount == 14000


def test_fractional_gross_amount_is_refused(snap):
    body = order("PDAM-0008")
    body["transaction_details"]["gross_amount"] = 10000.5
    body.pop("item_details")

    with pytest.raises(MidtransAPIError) as refused:
        snap.create_transaction(body)

    assert refused.value.http_status_code == 400
    assert refused.value.api_response_dict["error_messages"][0].startswith(
        "transaction_details.gross_amount must be an integer"
    )


@pytest.mark.parametrize("amount", [0, -5000])
def test_gross_amount_must_be_positive(snap, amount):
    body = order("PDAM-0009", amount)
    body.pop("item_details")

    with pytest.raises(MidtransAPIError) as refused:
        snap.create_transaction(body)

    assert "0.01" in refused.value.api_response_dict["error_messages"][0]


def test_a_used_order_id_is_refused(snap):
    snap.create_transaction(order("PDAM-0010"))

    with pytest.raises(MidtransAPIError) as refused:
        snap.create_transaction(order("PDAM-0010", 20000))

    assert refused.value.http_status_code == 400
    assert refused.value.api_response_dict["error_messages"] == [
        "transaction_details.order_id sudah digunakan"
    ]
    assert SimTransaction.objects.get().gross_amount == 10000


def test_expiry_is_taken_from_the_request(snap):
    body = order(
        "PDAM-0011", expiry={"start_time": "2026-11-25 10:00:00 +0700", "unit": "minute", "duration": 90}
    )

    snap.create_transaction(body)

    expected = datetime.datetime(2026, 11, 25, 11, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
    assert SimTransaction.objects.get().expiry_at == expected


def test_expiry_defaults_to_24_hours(snap):
    snap.create_transaction(order("PDAM-0012"))

    sim = SimTransaction.objects.get()
    assert sim.expiry_at - sim.created_at == pytest.approx(
        datetime.timedelta(hours=24), abs=datetime.timedelta(seconds=5)
    )


def test_without_override_notifications_go_to_the_calling_host(sim_url, live_server, settings):
    make_snap(sim_url).create_transaction(order("PDAM-0013"))
    settings.MIDTRANS_SIM_NOTIFICATION_PATH = "/hooks/midtrans/"
    make_snap(
        sim_url, headers={"X-Append-Notification": "http://a.test/n, http://b.test/n"}
    ).create_transaction(order("PDAM-0014"))

    assert SimTransaction.objects.get(order_id="PDAM-0013").notification_urls == [
        f"{live_server.url}/payments/midtrans/notification/"
    ]
    assert SimTransaction.objects.get(order_id="PDAM-0014").notification_urls == [
        f"{live_server.url}/hooks/midtrans/",
        "http://a.test/n",
        "http://b.test/n",
    ]
