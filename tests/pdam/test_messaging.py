"""The message outbox (kernel): queueing once per key, sending in claimed batches with retries
and a rate limit, providers (local, e-mail, WhatsApp Cloud API, SMS) and templates."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import requests
import time_machine
from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from pdam.messaging import providers
from pdam.messaging.checks import messaging_check
from pdam.messaging.models import Message, MessageChannel, MessageKind, MessageState
from pdam.messaging.rendering import message_render
from pdam.messaging.services import (
    Draft,
    Recipient,
    message_queue,
    messages_claim,
    messages_queue_many,
    messages_send,
    phone_international,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
START = datetime.datetime(2026, 10, 5, 10, 0, tzinfo=datetime.UTC)
WA = Recipient(channel=MessageChannel.WHATSAPP, address="6281234567890", name="0101000001 Budi Santoso")
RECEIPT_CONTEXT = {
    "name": "Budi Santoso",
    "customer_number": "0101000001",
    "receipt_number": "KAS-2026-000123",
    "amount": 52_100,
    "receipt_url": "http://portal.test/payments/receipts/KAS-2026-000123/",
}


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def whatsapp(settings):
    settings.MESSAGING_PROVIDERS = {**settings.MESSAGING_PROVIDERS, "whatsapp": "whatsapp"}
    settings.WHATSAPP_API_URL = "https://graph.facebook.com"
    settings.WHATSAPP_API_VERSION = "v21.0"
    settings.WHATSAPP_PHONE_NUMBER_ID = "106540352242922"
    settings.WHATSAPP_ACCESS_TOKEN = "EAAJB-test-token"
    settings.MESSAGING_RETRY_BASE_SECONDS = 60
    settings.MESSAGING_MAX_ATTEMPTS = 3
    return settings


def receipt(key="payment:KAS-2026-000123", recipient=WA, **extra):
    message, _created = message_queue(
        recipient=recipient, template="payment_received", context=RECEIPT_CONTEXT, key=key, **extra
    )
    return message


def answer(status: int, body: dict | None = None) -> mock.Mock:
    response = mock.Mock(status_code=status, text=json.dumps(body or {}))
    response.json.return_value = body or {}
    return response


def recorded() -> dict:
    return json.loads((FIXTURES / "whatsapp_send_template.json").read_text())


# --- Queueing ------------------------------------------------------------------------------------


def test_the_same_key_is_queued_once():
    first = receipt()
    again, created = message_queue(
        recipient=WA, template="payment_received", context={"changed": True}, key="payment:KAS-2026-000123"
    )
    assert created is False
    assert again.pk == first.pk
    assert again.context == RECEIPT_CONTEXT  # the first one stands
    assert Message.objects.count() == 1
    assert first.state == MessageState.QUEUED
    assert first.language == "id"
    assert first.kind == MessageKind.INFORMATIONAL


def test_queueing_in_bulk_skips_keys_already_queued():
    receipt(key="invoice:1")
    drafts = [
        Draft(recipient=WA, template="payment_received", context=RECEIPT_CONTEXT, key=f"invoice:{n}")
        for n in (1, 2, 3, 3)
    ]
    assert messages_queue_many(drafts=drafts) == 2
    assert messages_queue_many(drafts=drafts) == 0
    assert sorted(Message.objects.values_list("key", flat=True)) == ["invoice:1", "invoice:2", "invoice:3"]


def test_queueing_sends_after_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = receipt()
    message.refresh_from_db()
    assert message.state == MessageState.SENT  # the local provider, eagerly in tests


@pytest.mark.parametrize(
    ("phone", "international"),
    [
        ("0812-3456-7890", "6281234567890"),
        ("+62 812 3456 7890", "6281234567890"),
        ("81234567890", "6281234567890"),
        ("12", ""),
    ],
)
def test_phone_international(phone, international):
    assert phone_international(phone) == international


# --- Sending -------------------------------------------------------------------------------------


def test_local_provider_keeps_the_rendered_text():
    message = receipt()
    result = messages_send()
    assert (result.sent, result.retried, result.failed) == (1, 0, 0)
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert message.attempts == 1
    assert message.sent_at == START
    assert message.provider_id.startswith(f"local-{message.pk}-")
    assert "Pembayaran Anda sebesar Rp 52.100 untuk sambungan 0101000001 telah kami terima." in message.body
    assert "Nomor kuitansi: KAS-2026-000123." in message.body
    assert settings.UTILITY_NAME in message.body
    assert messages_send().sent == 0  # nothing left to send


def test_whatsapp_payload_is_the_cloud_api_template_message(whatsapp):
    fixture = recorded()
    message = receipt()
    with mock.patch(
        "pdam.messaging.providers.requests.post", return_value=answer(200, fixture["response"])
    ) as post:
        assert messages_send().sent == 1
    post.assert_called_once_with(
        fixture["request"]["url"],
        json=fixture["request"]["json"],
        headers=fixture["request"]["headers"],
        timeout=settings.MESSAGING_TIMEOUT_SECONDS,
    )
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert message.provider_id == fixture["response"]["messages"][0]["id"]


def test_a_timeout_is_retried_with_backoff_then_sent(whatsapp, _now):
    message = receipt()
    with mock.patch("pdam.messaging.providers.requests.post", side_effect=requests.Timeout):
        result = messages_send()
    assert (result.sent, result.retried) == (0, 1)
    message.refresh_from_db()
    assert message.state == MessageState.QUEUED
    assert message.attempts == 1
    assert message.last_error == "whatsapp: timeout"
    assert message.next_attempt_at == START + datetime.timedelta(seconds=60)
    # Not due yet: nothing is claimed.
    with mock.patch("pdam.messaging.providers.requests.post") as post:
        assert messages_send().sent == 0
    post.assert_not_called()
    _now.shift(datetime.timedelta(seconds=61))
    with mock.patch(
        "pdam.messaging.providers.requests.post", return_value=answer(200, recorded()["response"])
    ):
        assert messages_send().sent == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (MessageState.SENT, 2, "")


def test_5xx_is_retried_until_the_last_attempt_then_failed(whatsapp, _now):
    message = receipt()
    waits = []
    with mock.patch("pdam.messaging.providers.requests.post", return_value=answer(503)):
        for _ in range(3):
            messages_send()
            message.refresh_from_db()
            waits.append((message.state, message.attempts, message.next_attempt_at - START))
            _now.shift(datetime.timedelta(minutes=10))
    assert waits == [
        (MessageState.QUEUED, 1, datetime.timedelta(seconds=60)),
        (MessageState.QUEUED, 2, datetime.timedelta(minutes=10, seconds=120)),
        (MessageState.FAILED, 3, datetime.timedelta(minutes=10, seconds=120)),
    ]
    assert message.last_error == "whatsapp: HTTP 503"


def test_a_4xx_fails_at_once(whatsapp):
    message = receipt()
    with mock.patch(
        "pdam.messaging.providers.requests.post",
        return_value=answer(400, {"error": {"message": "Template name does not exist"}}),
    ):
        assert messages_send().failed == 1
    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert message.attempts == 1
    assert "HTTP 400" in message.last_error


def test_a_dead_workers_claim_is_taken_back(_now, settings):
    settings.MESSAGING_CLAIM_STALE_SECONDS = 300
    message = receipt()
    assert messages_claim(channel=MessageChannel.WHATSAPP, limit=10) == [message.pk]
    # The worker dies here. Another worker finds nothing until the claim is stale.
    _now.shift(datetime.timedelta(seconds=200))
    assert messages_send().sent == 0
    _now.shift(datetime.timedelta(seconds=101))
    assert messages_send().sent == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.SENT, 2)


def test_two_claims_never_take_the_same_message():
    for n in range(5):
        receipt(key=f"k{n}")
    first = messages_claim(channel=MessageChannel.WHATSAPP, limit=3)
    second = messages_claim(channel=MessageChannel.WHATSAPP, limit=3)
    assert len(first) == 3
    assert len(second) == 2
    assert not set(first) & set(second)


def test_rate_limit_per_channel(settings, _now):
    settings.MESSAGING_RATE_PER_MINUTE = {"email": 0, "whatsapp": 3, "sms": 0}
    for n in range(5):
        receipt(key=f"k{n}")
    receipt(key="sms", recipient=Recipient(channel=MessageChannel.SMS, address="6281234567890"))
    result = messages_send()
    assert result.sent == 4  # three on WhatsApp, the SMS (no limit)
    assert Message.objects.filter(channel="whatsapp", state=MessageState.QUEUED).count() == 2
    _now.shift(datetime.timedelta(seconds=30))
    assert messages_send().sent == 0  # still the same minute
    _now.shift(datetime.timedelta(seconds=31))
    assert messages_send().sent == 2
    assert not Message.objects.filter(state=MessageState.QUEUED).exists()


def test_email_goes_through_djangos_backend_with_text_and_html():
    message = receipt(
        recipient=Recipient(channel=MessageChannel.EMAIL, address="budi@example.test"), language="en"
    )
    assert messages_send().sent == 1
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["budi@example.test"]
    assert email.subject == f"Payment received, receipt KAS-2026-000123 — {settings.UTILITY_SHORT_NAME}"
    assert "We have received your payment of Rp 52.100 for connection 0101000001." in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html"
    assert 'href="http://portal.test/payments/receipts/KAS-2026-000123/"' in html
    message.refresh_from_db()
    assert message.subject == email.subject


def test_a_secret_is_not_kept_once_sent():
    message, _created = message_queue(
        recipient=Recipient(channel=MessageChannel.EMAIL, address="budi@example.test"),
        template="one_time_code",
        context={"customer_number": "0101000001", "code": "482913", "minutes": 10},
        key="otp:1:abc",
        kind=MessageKind.SERVICE,
        secret=True,
    )
    messages_send()
    assert "482913" in mail.outbox[0].body
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert (message.context, message.body, message.subject) == ({}, "", "")


def test_sms_through_the_http_gateway(settings):
    settings.MESSAGING_PROVIDERS = {**settings.MESSAGING_PROVIDERS, "sms": "http"}
    settings.SMS_API_URL = "https://sms.example.test/send"
    settings.SMS_API_KEY = "sms-key"
    settings.SMS_SENDER = "TIRTA"
    message = receipt(recipient=Recipient(channel=MessageChannel.SMS, address="6281234567890"))
    with mock.patch(
        "pdam.messaging.providers.requests.post", return_value=answer(200, {"id": "sms-77"})
    ) as post:
        assert messages_send().sent == 1
    (url,), kwargs = post.call_args
    assert url == "https://sms.example.test/send"
    assert kwargs["headers"] == {"Authorization": "Bearer sms-key"}
    assert kwargs["json"]["to"] == "6281234567890"
    assert kwargs["json"]["sender"] == "TIRTA"
    assert "KAS-2026-000123" in kwargs["json"]["text"]
    message.refresh_from_db()
    assert message.provider_id == "sms-77"


# --- Templates -----------------------------------------------------------------------------------

INVOICE = {
    "name": "Budi Santoso",
    "customer_number": "0101000001",
    "period_month": "2026-10-01",
    "amount": 47_300,
    "due_date": "2026-10-20",
    "pay_url": "http://portal.test/payments/my-bills/",
}


def test_invoice_template_in_indonesian():
    rendered = message_render(template="invoice_issued", context=INVOICE, language="id", channel="email")
    assert rendered.subject == f"Tagihan air Anda untuk Oktober 2026 — {settings.UTILITY_SHORT_NAME}"
    assert rendered.text.startswith("Yth. Budi Santoso,")
    assert (
        "Tagihan air Anda untuk Oktober 2026 (sambungan 0101000001) sebesar Rp 47.300, "
        "jatuh tempo 20 Oktober 2026." in rendered.text
    )
    assert "Bayar online: http://portal.test/payments/my-bills/" in rendered.text
    assert settings.UTILITY_PHONE in rendered.text
    assert "Yth. Budi Santoso," in rendered.html
    assert rendered.parameters == (
        "Budi Santoso",
        "0101000001",
        "Oktober 2026",
        "Rp 47.300",
        "20 Oktober 2026",
        "http://portal.test/payments/my-bills/",
    )


def test_invoice_template_in_english():
    rendered = message_render(template="invoice_issued", context=INVOICE, language="en", channel="whatsapp")
    assert rendered.subject == ""  # only e-mail has a subject
    assert rendered.html == ""
    assert rendered.text.startswith("Dear Budi Santoso,")
    assert (
        "Your water bill for October 2026 (connection 0101000001) is Rp 47.300, due on 20 October 2026."
        in rendered.text
    )
    assert rendered.parameters[2:5] == ("October 2026", "Rp 47.300", "20 October 2026")


# --- Production guard ----------------------------------------------------------------------------

PROBE = "import django; django.setup(); from django.conf import settings; print(settings.MESSAGING_PROVIDERS)"


def _settings_in_a_new_process(**env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "pdam.settings", **env}
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, cwd=settings.BASE_DIR
    )


def test_local_provider_is_refused_in_production():
    production = {"DEBUG": "0", "SECRET_KEY": "x" * 50}
    refused = _settings_in_a_new_process(**production, MESSAGING_WHATSAPP_PROVIDER="local")
    assert refused.returncode != 0
    assert "The local message provider keeps messages unsent: it needs DEBUG on." in refused.stderr
    # Without DEBUG the defaults turn WhatsApp and SMS off rather than local.
    default = _settings_in_a_new_process(**production)
    assert default.returncode == 0, default.stderr
    assert default.stdout.strip() == "{'email': 'email', 'whatsapp': '', 'sms': ''}"


def test_system_check_names_unknown_and_unconfigured_providers(settings):
    settings.MESSAGING_PROVIDERS = {"email": "carrier-pigeon", "whatsapp": "whatsapp", "sms": "http"}
    settings.WHATSAPP_ACCESS_TOKEN = ""
    settings.SMS_API_URL = ""
    settings.MESSAGING_CALLBACK_SECRET = ""
    assert [problem.id for problem in messaging_check()] == [
        "pdam.E101",
        "pdam.W103",
        "pdam.W104",
        "pdam.W105",
    ]
    with pytest.raises(ImproperlyConfigured):
        providers.provider_for("email")


def test_messages_work_drains_the_outbox():
    from io import StringIO

    from django.core.management import call_command

    for n in range(3):
        receipt(key=f"k{n}")
    out = StringIO()
    call_command("messages_work", stdout=out)
    assert out.getvalue().strip() == "sent=3 retried=0 failed=0"
    assert set(Message.objects.values_list("state", flat=True)) == {MessageState.SENT}
