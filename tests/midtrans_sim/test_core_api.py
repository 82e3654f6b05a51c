"""The Core API endpoints the portal uses (status, cancel, expire), through the real CoreApi client."""

import pytest
import requests
from midtransclient.error_midtrans import MidtransAPIError

from midtrans_sim import services
from midtrans_sim.models import SimTransaction
from tests.midtrans_sim.conftest import make_core, order, over_http, verify_signature

pytestmark = over_http


@pytest.fixture
def created(snap):
    """An order created through Snap; the customer has not picked a method yet."""
    snap.create_transaction(order("PDAM-0100", 25000))
    return "PDAM-0100"


def test_status_is_404_until_a_method_is_picked(core, created):
    with pytest.raises(MidtransAPIError) as missing:
        core.transactions.status(created)

    assert missing.value.http_status_code == 404
    assert missing.value.api_response_dict["status_code"] == "404"
    assert missing.value.api_response_dict["status_message"] == "Transaction doesn't exist."


def test_status_of_an_unknown_order_is_404(core):
    with pytest.raises(MidtransAPIError) as missing:
        core.transactions.status("NO-SUCH-ORDER")

    assert missing.value.http_status_code == 404


def test_status_is_pending_once_a_method_is_picked(core, created):
    services.transaction_act(order_id=created, method="bca_va", outcome="pending")

    status = core.transactions.status(created)

    assert status["transaction_status"] == "pending"
    assert status["status_code"] == "201"
    assert status["gross_amount"] == "25000.00"
    assert status["payment_type"] == "bank_transfer"
    assert status["va_numbers"][0]["bank"] == "bca"
    assert verify_signature(status)


def test_status_is_settlement_after_payment(core, created):
    services.transaction_act(order_id=created, method="qris", outcome="settle")

    status = core.transactions.status(created)

    assert (status["transaction_status"], status["status_code"]) == ("settlement", "200")
    assert status["settlement_time"]
    assert verify_signature(status)


def test_status_accepts_the_transaction_id_too(core, created):
    result = services.transaction_act(order_id=created, method="gopay", outcome="settle")

    status = core.transactions.status(str(result.transaction.transaction_id))

    assert status["order_id"] == created


def test_status_with_a_wrong_key_is_401(sim_url, created):
    services.transaction_act(order_id=created, method="bca_va", outcome="pending")

    with pytest.raises(MidtransAPIError) as refused:
        make_core(sim_url, server_key="SB-Mid-server-WRONG").transactions.status(created)

    assert refused.value.http_status_code == 401


def test_cancel_pending(core, created, receiver):
    services.transaction_act(order_id=created, method="permata_va", outcome="pending")

    answer = core.transactions.cancel(created)

    assert (answer["transaction_status"], answer["status_code"]) == ("cancel", "200")
    assert core.transactions.status(created)["transaction_status"] == "cancel"
    assert [(p["transaction_status"], p["status_code"]) for p in receiver.payloads] == [
        ("pending", "201"),
        ("cancel", "202"),
    ]


def test_cancel_settled_is_refused_with_412(core, created, receiver):
    services.transaction_act(order_id=created, method="bca_va", outcome="settle")

    with pytest.raises(MidtransAPIError) as refused:
        core.transactions.cancel(created)

    assert refused.value.api_response_dict["status_code"] == "412"
    assert (
        refused.value.api_response_dict["status_message"]
        == "Merchant cannot modify the status of the transaction"
    )
    assert SimTransaction.objects.get().transaction_status == "settlement"
    assert len(receiver.received) == 1


def test_cancel_before_a_method_is_picked_is_404(core, created):
    with pytest.raises(MidtransAPIError) as missing:
        core.transactions.cancel(created)

    assert missing.value.http_status_code == 404


def test_expire_pending(core, created, receiver):
    services.transaction_act(order_id=created, method="echannel", outcome="pending")

    # 407 is the one error-looking status_code midtransclient does not raise on.
    answer = core.transactions.expire(created)

    assert (answer["transaction_status"], answer["status_code"]) == ("expire", "407")
    status = core.transactions.status(created)
    assert (status["transaction_status"], status["status_code"]) == ("expire", "407")
    assert receiver.payloads[-1]["transaction_status"] == "expire"
    assert verify_signature(receiver.payloads[-1])


def test_expire_settled_is_refused(core, created):
    services.transaction_act(order_id=created, method="bca_va", outcome="settle")

    with pytest.raises(MidtransAPIError) as refused:
        core.transactions.expire(created)

    assert refused.value.api_response_dict["status_code"] == "412"


def test_a_snap_page_that_expired_unpicked_stays_404(core, created, receiver):
    services.transaction_lapse(order_id=created)

    with pytest.raises(MidtransAPIError) as missing:
        core.transactions.status(created)

    assert missing.value.http_status_code == 404
    assert receiver.received == []


def test_a_pending_transaction_past_its_expiry_answers_expire_without_notification(core, created, receiver):
    services.transaction_act(order_id=created, method="bri_va", outcome="pending")
    services.transaction_lapse(order_id=created)

    status = core.transactions.status(created)

    assert (status["transaction_status"], status["status_code"]) == ("expire", "407")
    assert [p["transaction_status"] for p in receiver.payloads] == ["pending"]


def test_challenged_card_payment_can_be_approved(core, created, receiver):
    services.transaction_act(order_id=created, method="credit_card", outcome="challenge_then_accept")
    assert core.transactions.status(created)["fraud_status"] == "accept"

    with pytest.raises(MidtransAPIError):
        core.transactions.approve(created)


def test_control_api_acts_and_reports_what_the_receiver_answered(sim_url, created, receiver):
    receiver.answers = [500]

    answer = requests.post(
        f"{sim_url}/_sim/transactions/{created}/act",
        json={"method": "indomaret", "outcome": "settle_after_pending"},
        timeout=5,
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["transaction_status"] == "settlement"
    assert [(n["transaction_status"], n["response_status"]) for n in body["notifications"]] == [
        ("pending", 500),
        ("settlement", 200),
    ]
    resent = requests.post(f"{sim_url}/_sim/transactions/{created}/resend", timeout=5).json()
    assert resent["notifications"][0]["payload"] == body["notifications"][1]["payload"]
    assert receiver.received[-1].body == receiver.received[-2].body
    detail = requests.get(f"{sim_url}/_sim/transactions/{created}", timeout=5).json()
    assert [n["response_status"] for n in detail["notifications"]] == [500, 200, 200]


@pytest.mark.parametrize(
    ("payload", "status"),
    [({"method": "bca_va", "outcome": "explode"}, 400), ({"outcome": "settle"}, 400)],
)
def test_control_api_refuses_what_it_cannot_do(sim_url, created, payload, status):
    answer = requests.post(f"{sim_url}/_sim/transactions/{created}/act", json=payload, timeout=5)

    assert answer.status_code == status
    assert answer.json()["error"]


def test_control_api_on_an_unknown_order_is_404(sim_url):
    answer = requests.post(
        f"{sim_url}/_sim/transactions/NOPE/act", json={"method": "bca_va", "outcome": "settle"}, timeout=5
    )

    assert answer.status_code == 404
