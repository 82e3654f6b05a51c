"""The load-test endpoint: many orders stored as paid, their notifications handed back unsent."""

import requests

from midtrans_sim.models import SimNotification, SimTransaction
from tests.midtrans_sim.conftest import over_http, verify_signature

pytestmark = over_http


def test_bulk_settle_stores_paid_orders_and_returns_signed_notifications(sim_url, core):
    rows = [
        {"order_id": "PDAM-B-1", "gross_amount": 47300, "method": "bca_va"},
        {"order_id": "PDAM-B-2", "gross_amount": 52100, "method": "indomaret"},
    ]
    answer = requests.post(f"{sim_url}/_sim/bulk-settle", json={"transactions": rows}, timeout=10)
    assert answer.status_code == 201
    first, second = answer.json()["notifications"]
    assert (first["order_id"], first["gross_amount"], first["transaction_status"]) == (
        "PDAM-B-1",
        "47300.00",
        "settlement",
    )
    assert first["va_numbers"][0]["bank"] == "bca" and "fraud_status" not in second
    assert verify_signature(first) and verify_signature(second)
    assert core.transactions.status("PDAM-B-2")["transaction_status"] == "settlement"
    assert SimTransaction.objects.count() == 2
    assert not SimNotification.objects.exists()  # nothing was sent


def test_bulk_settle_refuses_a_used_order_id_and_stores_nothing(sim_url):
    url = f"{sim_url}/_sim/bulk-settle"
    requests.post(url, json={"transactions": [{"order_id": "PDAM-B-1", "gross_amount": 1000}]}, timeout=10)
    rows = [{"order_id": "PDAM-B-2", "gross_amount": 1000}, {"order_id": "PDAM-B-1", "gross_amount": 1000}]
    answer = requests.post(url, json={"transactions": rows}, timeout=10)
    assert answer.status_code == 400
    assert list(SimTransaction.objects.values_list("order_id", flat=True)) == ["PDAM-B-1"]
