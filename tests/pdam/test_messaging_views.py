"""The outbox's pages: the signed delivery-status callback and the staff outbox."""

import datetime
import hashlib
import hmac
import json
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from pdam.messaging.models import Message, MessageChannel, MessageKind, MessageState

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "meta-app-secret"
START = datetime.datetime(2026, 10, 5, 10, 0, tzinfo=datetime.UTC)
WAMID = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjVGQjY5RjQ4QjI1QzU0QjBCNwA="


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.MESSAGING_CALLBACK_SECRET = SECRET
    settings.MESSAGING_CALLBACK_VERIFY_TOKEN = "verify-me"


def sent_message(**fields) -> Message:
    values = {
        "key": "payment:KAS-2026-000123",
        "channel": MessageChannel.WHATSAPP,
        "recipient": "6281234567890",
        "recipient_name": "0101000001 Budi Santoso",
        "template": "payment_received",
        "kind": MessageKind.INFORMATIONAL,
        "state": MessageState.SENT,
        "attempts": 1,
        "provider_id": WAMID,
        "sent_at": START,
        "body": "Pembayaran Anda sebesar Rp 52.100 telah kami terima.",
    }
    return Message.objects.create(**{**values, **fields})


def webhook(status: str) -> bytes:
    payload = json.loads((FIXTURES / "whatsapp_status_webhook.json").read_text())
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] = status
    return json.dumps(payload).encode()


def post(client, body: bytes, secret: str = SECRET, header: str = "HTTP_X_HUB_SIGNATURE_256"):
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        reverse("messaging:status_callback"), body, content_type="application/json", **{header: signature}
    )


def test_signed_callback_replayed_five_times_moves_the_message_once(client):
    message = sent_message()
    answers = [post(client, webhook("delivered")) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert [a.json()["moved"] for a in answers] == [1, 0, 0, 0, 0]
    message.refresh_from_db()
    assert message.state == MessageState.DELIVERED
    assert message.delivered_at == datetime.datetime(2026, 10, 5, 14, 0, tzinfo=datetime.UTC)
    for _ in range(5):
        post(client, webhook("read"))
    message.refresh_from_db()
    assert message.state == MessageState.READ
    assert message.read_at == datetime.datetime(2026, 10, 5, 14, 0, tzinfo=datetime.UTC)
    # Never backwards: a late "delivered" (or "failed") after "read" changes nothing.
    assert post(client, webhook("delivered")).json()["moved"] == 0
    assert post(client, webhook("failed")).json()["moved"] == 0
    message.refresh_from_db()
    assert message.state == MessageState.READ


def test_read_before_delivered_keeps_both_times(client):
    message = sent_message()
    post(client, webhook("read"))
    message.refresh_from_db()
    assert message.state == MessageState.READ
    assert message.delivered_at == message.read_at


def test_a_failed_status_marks_a_sent_message_failed(client):
    message = sent_message()
    body = json.loads(webhook("failed"))
    body["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"] = [
        {"code": 131026, "title": "Message undeliverable"}
    ]
    assert post(client, json.dumps(body).encode()).json()["moved"] == 1
    message.refresh_from_db()
    assert (message.state, message.last_error) == (MessageState.FAILED, "Message undeliverable")


def test_the_generic_shape_and_header_of_an_sms_gateway(client):
    message = sent_message(channel=MessageChannel.SMS, provider_id="sms-77")
    body = json.dumps(
        {"statuses": [{"id": "sms-77", "status": "delivered", "timestamp": 1791208800}]}
    ).encode()
    assert post(client, body, header="HTTP_X_SIGNATURE").json()["moved"] == 1
    message.refresh_from_db()
    assert message.state == MessageState.DELIVERED


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_a_bad_signature_is_refused_and_changes_nothing(client, secret):
    message = sent_message()
    assert post(client, webhook("delivered"), secret=secret).status_code == 403
    unsigned = client.post(
        reverse("messaging:status_callback"), webhook("delivered"), content_type="application/json"
    )
    assert unsigned.status_code == 403
    message.refresh_from_db()
    assert message.state == MessageState.SENT


def test_no_secret_configured_refuses_every_callback(client, settings):
    settings.MESSAGING_CALLBACK_SECRET = ""
    message = sent_message()
    assert post(client, webhook("delivered"), secret="").status_code == 403
    message.refresh_from_db()
    assert message.state == MessageState.SENT


def test_meta_subscription_handshake(client):
    url = reverse("messaging:status_callback")
    ok = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    )
    assert (ok.status_code, ok.content) == (200, b"1158201444")
    wrong = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert wrong.status_code == 403


# --- The staff outbox ----------------------------------------------------------------------------


@pytest.fixture
def outbox_rows():
    with time_machine.travel(START, tick=False):
        sent = sent_message()
        queued = sent_message(
            key="invoice:9", state=MessageState.QUEUED, provider_id="", body="", sent_at=None
        )
        failed = sent_message(
            key="invoice:10",
            channel=MessageChannel.EMAIL,
            recipient="siti@example.test",
            recipient_name="0101000002 Siti Rahmah",
            state=MessageState.FAILED,
            provider_id="",
            body="",
            attempts=6,
            last_error="e-mail: Connection refused",
        )
        secret = sent_message(key="otp:1", secret=True, body="", kind=MessageKind.SERVICE, provider_id="x")
    return sent, queued, failed, secret


def test_outbox_shows_who_channel_text_and_state(persona_client, outbox_rows):
    client = persona_client("cs")
    client.cookies["django_language"] = "en"
    page = client.get(reverse("messaging:outbox")).content.decode()
    assert "0101000001 Budi Santoso" in page
    assert "Pembayaran Anda sebesar Rp 52.100 telah kami terima." in page
    assert "e-mail: Connection refused" in page
    assert "6 attempts" in page
    assert "Secret: a code or a link, not kept" in page
    assert "4 messages" in page


def test_outbox_filters_by_state_and_channel(persona_client, outbox_rows):
    client = persona_client("supervisor")
    client.cookies["django_language"] = "en"
    page = client.get(reverse("messaging:outbox"), {"state": "failed"}).content.decode()
    assert "0101000002 Siti Rahmah" in page
    assert "0101000001 Budi Santoso" not in page
    page = client.get(
        reverse("messaging:outbox"), {"channel": "whatsapp", "state": "queued"}
    ).content.decode()
    assert "1 message" in page
    page = client.get(reverse("messaging:outbox"), {"q": "siti"}).content.decode()
    assert "1 message" in page


def test_outbox_is_paginated(persona_client):
    Message.objects.bulk_create(
        [
            Message(
                key=f"k{n}",
                channel="sms",
                recipient="62812",
                recipient_name=f"R{n:03}",
                template="t",
                kind="informational",
            )
            for n in range(120)
        ]
    )
    client = persona_client("cs")
    client.cookies["django_language"] = "en"
    first = client.get(reverse("messaging:outbox"), {"state": "queued"}).content.decode()
    assert "Page 1 of 3" in first
    assert "state=queued&amp;page=2" in first
    third = client.get(reverse("messaging:outbox"), {"state": "queued", "page": 3}).content.decode()
    assert third.count("<tr>") == 21  # the header row and the last 20


def test_outbox_page_queries_do_not_grow_with_rows(persona_client, django_assert_max_num_queries):
    client = persona_client("cs")
    Message.objects.bulk_create(
        [
            Message(key=f"k{n}", channel="sms", recipient="62812", template="t", kind="informational")
            for n in range(60)
        ]
    )
    client.get(reverse("messaging:outbox"))  # warm the session and permission caches
    with django_assert_max_num_queries(8):
        client.get(reverse("messaging:outbox"))
