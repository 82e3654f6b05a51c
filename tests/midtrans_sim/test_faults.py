"""Armed faults: the next Snap create (or status call) misbehaves once, then all is normal again."""

import time

import pytest
import requests
from midtransclient.error_midtrans import JSONDecodeError, MidtransAPIError

from midtrans_sim import services
from midtrans_sim.models import SimFault, SimTransaction
from tests.midtrans_sim.conftest import make_snap, order, over_http

pytestmark = over_http


def arm(sim_url: str, **fault) -> None:
    answer = requests.post(f"{sim_url}/_sim/faults", json=fault, timeout=5)
    assert answer.status_code == 201, answer.text


def test_timeout_once_and_the_order_exists_afterwards(sim_url):
    arm(sim_url, snap_create="timeout", seconds=0.8)
    snap = make_snap(sim_url, timeout=0.3)

    with pytest.raises(requests.exceptions.ReadTimeout):
        snap.create_transaction(order("PDAM-0400"))
    answer = snap.create_transaction(order("PDAM-0401"))

    assert answer["token"]
    # The slow request still completes on the server: the caller never learnt of its order.
    deadline = time.monotonic() + 5
    while not SimTransaction.objects.filter(order_id="PDAM-0400").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert SimTransaction.objects.filter(order_id="PDAM-0400").exists()


def test_error500_once(snap, sim_url):
    arm(sim_url, snap_create="error500")

    with pytest.raises(MidtransAPIError) as failed:
        snap.create_transaction(order("PDAM-0402"))
    snap.create_transaction(order("PDAM-0402"))

    assert failed.value.http_status_code == 500
    assert failed.value.api_response_dict["error_messages"]
    assert SimTransaction.objects.filter(order_id="PDAM-0402").count() == 1


@pytest.mark.parametrize(("behaviour", "status"), [("html", 502), ("html200", 200)])
def test_html_error_page_once(snap, sim_url, behaviour, status):
    arm(sim_url, snap_create=behaviour)

    with pytest.raises(JSONDecodeError) as failed:
        snap.create_transaction(order("PDAM-0403"))
    snap.create_transaction(order("PDAM-0403"))

    assert "Bad Gateway" in str(failed.value)
    assert SimFault.objects.get().consumed_at is not None
    assert SimTransaction.objects.filter(order_id="PDAM-0403").exists()


def test_status_fault_once(snap, core, sim_url):
    snap.create_transaction(order("PDAM-0404"))
    services.transaction_act(order_id="PDAM-0404", method="bca_va", outcome="pending")
    arm(sim_url, status="error500")

    with pytest.raises(MidtransAPIError) as failed:
        core.transactions.status("PDAM-0404")

    assert failed.value.http_status_code == 500
    assert core.transactions.status("PDAM-0404")["transaction_status"] == "pending"


def test_unknown_faults_are_refused(sim_url):
    answer = requests.post(f"{sim_url}/_sim/faults", json={"snap_create": "meltdown"}, timeout=5)

    assert answer.status_code == 400
    assert not SimFault.objects.exists()


def test_a_fault_fires_once_even_when_claimed_twice(transactional_db):
    services.fault_arm(endpoint="snap_create", behaviour="error500")

    assert services.fault_claim(endpoint="snap_create") is not None
    assert services.fault_claim(endpoint="snap_create") is None
