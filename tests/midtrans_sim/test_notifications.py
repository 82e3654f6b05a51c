"""Notification bodies per payment method, their signatures, sequences, delivery and its log."""

import datetime
import json
import uuid

import pytest

from midtrans_sim import services
from midtrans_sim.models import SimNotification, SimTransaction
from tests.midtrans_sim.conftest import SERVER_KEY, order, verify_signature

pytestmark = pytest.mark.django_db

COMMON_FIELDS = {
    "transaction_time",
    "transaction_status",
    "transaction_id",
    "status_message",
    "status_code",
    "signature_key",
    "settlement_time",
    "payment_type",
    "order_id",
    "merchant_id",
    "gross_amount",
    "currency",
    "expiry_time",
}

# method → (payment_type, its own fields, whether fraud_status is sent)
METHOD_FIELDS = {
    "bca_va": ("bank_transfer", {"va_numbers"}, True),
    "bni_va": ("bank_transfer", {"va_numbers"}, True),
    "bri_va": ("bank_transfer", {"va_numbers"}, True),
    "permata_va": ("bank_transfer", {"permata_va_number"}, True),
    "echannel": ("echannel", {"bill_key", "biller_code"}, True),
    "qris": ("qris", {"acquirer", "issuer", "transaction_type"}, True),
    "gopay": ("gopay", {"acquirer"}, True),
    "shopeepay": ("shopeepay", set(), True),
    "indomaret": ("cstore", {"store", "payment_code"}, False),
    "alfamart": ("cstore", {"store", "payment_code"}, False),
    "credit_card": (
        "credit_card",
        {
            "masked_card",
            "bank",
            "card_type",
            "eci",
            "channel_response_code",
            "channel_response_message",
            "approval_code",
        },
        True,
    ),
}


def create(receiver, order_id="PDAM-0300", amount=10000, **extra) -> SimTransaction:
    return services.snap_transaction_create(
        body=order(order_id, amount, **extra), notification_urls=[receiver.url]
    )


@pytest.mark.parametrize("method", list(METHOD_FIELDS))
def test_settlement_notification_per_method(receiver, method):
    create(receiver)
    payment_type, own_fields, has_fraud_status = METHOD_FIELDS[method]

    services.transaction_act(
        order_id="PDAM-0300",
        method=method,
        outcome="capture_then_settle" if method == "credit_card" else "settle",
    )

    payload = receiver.payloads[-1]
    expected = COMMON_FIELDS | own_fields | ({"fraud_status"} if has_fraud_status else set())
    assert set(payload) == expected
    assert payload["transaction_status"] == "settlement"
    assert payload["status_code"] == "200"
    assert payload["payment_type"] == payment_type
    assert payload["gross_amount"] == "10000.00"
    assert payload["currency"] == "IDR"
    assert payload["status_message"] == "midtrans payment notification"
    uuid.UUID(payload["transaction_id"])
    # Midtrans writes its times in Jakarta time (GMT+7), without an offset.
    sent_at = datetime.datetime.strptime(payload["transaction_time"] + " +0700", "%Y-%m-%d %H:%M:%S %z")
    assert abs(sent_at - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=1)
    assert verify_signature(payload)
    if has_fraud_status:
        assert payload["fraud_status"] == "accept"


def test_bank_specific_fields(receiver):
    for number, method in enumerate(["bni_va", "permata_va", "echannel", "indomaret", "credit_card"]):
        create(receiver, f"PDAM-03{number:02}")
        services.transaction_act(order_id=f"PDAM-03{number:02}", method=method, outcome="settle")

    bni, permata, mandiri, indomaret, card = receiver.payloads
    assert bni["va_numbers"][0]["bank"] == "bni"
    assert bni["va_numbers"][0]["va_number"].isdigit()
    assert permata["permata_va_number"].isdigit()
    assert (mandiri["biller_code"], mandiri["bill_key"].isdigit()) == ("70012", True)
    assert (indomaret["store"], indomaret["payment_code"].isdigit()) == ("indomaret", True)
    assert (card["transaction_status"], card["fraud_status"], card["card_type"]) == (
        "capture",
        "accept",
        "credit",
    )
    assert "settlement_time" not in card


@pytest.mark.parametrize(
    ("outcome", "method", "expected"),
    [
        ("settle_after_pending", "bca_va", [("pending", "201"), ("settlement", "200")]),
        ("expire", "bri_va", [("pending", "201"), ("expire", "202")]),
        ("cancel", "gopay", [("pending", "201"), ("cancel", "202")]),
        ("deny", "bni_va", [("deny", "202")]),
        ("settle_then_deny", "permata_va", [("settlement", "200"), ("deny", "202")]),
        ("duplicate", "indomaret", [("settlement", "200"), ("settlement", "200")]),
        ("challenge_then_accept", "credit_card", [("capture", "201"), ("capture", "200")]),
        ("challenge_then_deny", "credit_card", [("capture", "201"), ("deny", "202")]),
    ],
)
def test_outcomes_send_their_notifications_in_order(receiver, outcome, method, expected):
    create(receiver)

    result = services.transaction_act(order_id="PDAM-0300", method=method, outcome=outcome)

    assert [(p["transaction_status"], p["status_code"]) for p in receiver.payloads] == expected
    assert all(verify_signature(p) for p in receiver.payloads)
    assert [(n.transaction_status, n.status_code, n.response_status) for n in result.notifications] == [
        (status, code, 200) for status, code in expected
    ]
    assert result.transaction.transaction_status == expected[-1][0]


def test_a_duplicate_is_the_same_body_byte_for_byte(receiver):
    create(receiver)

    services.transaction_act(order_id="PDAM-0300", method="qris", outcome="duplicate")

    first, second = receiver.received
    assert first.body == second.body


def test_every_notification_of_a_transaction_shares_its_transaction_id(receiver):
    create(receiver)

    services.transaction_act(order_id="PDAM-0300", method="bca_va", outcome="settle_after_pending")

    assert len({p["transaction_id"] for p in receiver.payloads}) == 1


def test_refund_and_chargeback_follow_a_settlement(receiver):
    create(receiver)
    create(receiver, "PDAM-0301")
    services.transaction_act(order_id="PDAM-0300", method="bca_va", outcome="settle")
    services.transaction_act(order_id="PDAM-0301", method="credit_card", outcome="settle")

    services.transaction_act(order_id="PDAM-0300", outcome="refund")
    services.transaction_act(order_id="PDAM-0301", outcome="chargeback")

    refund, chargeback = receiver.payloads[-2:]
    assert (refund["transaction_status"], refund["refund_amount"]) == ("refund", "10000.00")
    assert chargeback["transaction_status"] == "chargeback"


@pytest.mark.parametrize(
    ("first", "then"),
    [("pending", "refund"), ("settle", "settle"), ("settle", "expire"), ("deny", "settle")],
)
def test_transitions_midtrans_refuses(receiver, first, then):
    create(receiver)
    services.transaction_act(order_id="PDAM-0300", method="bca_va", outcome=first)

    with pytest.raises(services.SimError) as refused:
        services.transaction_act(order_id="PDAM-0300", outcome=then)

    assert refused.value.status_code == "412"


def test_a_non_2xx_answer_is_logged_and_resend_posts_the_same_body(receiver):
    create(receiver)
    receiver.answers = [503]

    services.transaction_act(order_id="PDAM-0300", method="bca_va", outcome="settle")
    [resent] = services.notification_resend(order_id="PDAM-0300")

    first, second = SimNotification.objects.all()
    assert (first.response_status, first.delivered) == (503, False)
    assert first.response_body == "not stored"
    assert (second.response_status, second.delivered) == (200, True)
    assert resent == second
    assert receiver.received[0].body == receiver.received[1].body


def test_an_unreachable_receiver_is_logged_as_an_error(receiver):
    create(receiver)

    [sent] = services.transaction_act(
        order_id="PDAM-0300", method="bca_va", outcome="settle", notify_url="http://127.0.0.1:9/nobody"
    ).notifications

    assert sent.response_status is None
    assert "ConnectionError" in sent.error
    assert receiver.received == []


def test_transaction_payload_matches_what_was_sent(receiver):
    create(receiver)
    services.transaction_act(order_id="PDAM-0300", method="echannel", outcome="settle")

    payload = services.transaction_payload(sim=SimTransaction.objects.get())

    assert payload == receiver.payloads[0]


def test_notification_payload_builds_signed_bodies_without_the_database():
    payload = services.notification_payload(
        order_id="ANY-1", gross_amount=123456, transaction_status="settlement", method="permata_va"
    )

    assert payload["gross_amount"] == "123456.00"
    assert verify_signature(payload)
    assert "permata_va_number" in payload


def test_notification_payload_can_forge_a_signature():
    forged = services.notification_payload(
        order_id="ANY-1", gross_amount=5000, transaction_status="settlement", server_key="not-the-key"
    )

    assert not verify_signature(forged, SERVER_KEY)
    assert verify_signature(forged, "not-the-key")


def test_signature_matches_a_hand_computed_sha512():
    import hashlib

    expected = hashlib.sha512(b"PDAM-1200" + b"10000.00" + SERVER_KEY.encode()).hexdigest()

    assert services.signature_key(order_id="PDAM-1", status_code="200", gross_amount="10000.00") == expected


def test_the_body_sent_is_json_of_the_logged_payload(receiver):
    create(receiver)

    [sent] = services.transaction_act(order_id="PDAM-0300", method="bca_va", outcome="settle").notifications

    assert json.loads(sent.body) == receiver.payloads[0]
    assert receiver.received[0].headers["User-Agent"] == "Veritrans"
