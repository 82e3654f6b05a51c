"""The control API answers malformed input with 400 and a clear message, never a 500, and stores
nothing (DESIGN.md §6)."""

import pytest
from django.test import Client

from midtrans_sim.models import SimFault, SimTransaction

pytestmark = pytest.mark.django_db


def post(path: str, body: str):
    client = Client(raise_request_exception=False)
    return client.post(f"/midtrans-sim/_sim/{path}", data=body, content_type="application/json")


@pytest.mark.parametrize(
    "row",
    [
        '{"order_id": "PDAM-B-1", "gross_amount": 1e999}',
        '{"order_id": "PDAM-B-1", "gross_amount": -1e999}',
        '{"order_id": "PDAM-B-1", "gross_amount": NaN}',
        '{"order_id": "PDAM-B-1", "gross_amount": 1000000000000000000000000000000}',
        '{"order_id": "PDAM-B-1", "gross_amount": "sejuta"}',
        '{"order_id": "PDAM-B-1", "gross_amount": 1500.5}',
        '{"order_id": "PDAM-B-1", "gross_amount": 0}',
        '{"order_id": "PDAM-B-1", "gross_amount": -5000}',
        '{"order_id": "PDAM-B-1", "gross_amount": true}',
        '{"order_id": "PDAM-B-1", "gross_amount": [1000]}',
        '{"order_id": "PDAM-B-1"}',
        '{"order_id": "PDAM-B-1", "gross_amount": 1000, "method": ["bca_va"]}',
        '"PDAM-B-1"',
        "12",
        "null",
    ],
)
def test_bulk_settle_refuses_a_malformed_row_with_400(row):
    answer = post("bulk-settle", '{"transactions": [' + row + "]}")
    assert answer.status_code == 400
    assert answer.json()["error"]
    assert not SimTransaction.objects.exists()


def test_bulk_settle_names_the_bad_row_and_field():
    answer = post(
        "bulk-settle",
        '{"transactions": [{"order_id": "PDAM-B-1", "gross_amount": 1000},'
        ' {"order_id": "PDAM-B-2", "gross_amount": 1e999}]}',
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "transactions[1].gross_amount must be a whole number from 1 to 10^15"
    assert not SimTransaction.objects.exists()


@pytest.mark.parametrize("seconds", ["1e999", "-1e999", "NaN", '"lama"', "[1]", "true", "100000", "-1"])
def test_faults_refuse_bad_seconds_with_400(seconds):
    answer = post("faults", '{"snap_create": "timeout", "seconds": ' + seconds + "}")
    assert answer.status_code == 400
    assert answer.json()["error"] == "seconds must be a number from 0 to 600"
    assert not SimFault.objects.exists()


def test_faults_still_take_good_seconds():
    answer = post("faults", '{"snap_create": "timeout", "seconds": 2.5}')
    assert answer.status_code == 201
    assert SimFault.objects.get().seconds == 2.5


@pytest.mark.parametrize("body", ['{"outcome": ["settle"]}', '{"outcome": "settle", "method": ["bca_va"]}'])
def test_act_refuses_malformed_fields_with_400(body):
    SimTransaction.objects.create(order_id="PDAM-A-1", gross_amount=1000, expiry_at="2030-01-01T00:00:00Z")
    answer = post("transactions/PDAM-A-1/act", body)
    assert answer.status_code == 400
    assert answer.json()["error"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("act", '{"outcome": "settle", "method": "bca_va", "notify_url": {"url": 1}}'),
        ("resend", '{"notify_url": ["http://127.0.0.1:9/"]}'),
    ],
)
def test_a_notify_url_that_is_not_a_string_is_refused_with_400(path, body):
    SimTransaction.objects.create(order_id="PDAM-A-1", gross_amount=1000, expiry_at="2030-01-01T00:00:00Z")
    answer = post(f"transactions/PDAM-A-1/{path}", body)
    assert answer.status_code == 400
    assert "notify_url" in answer.json()["error"]
    assert SimTransaction.objects.get().transaction_status == ""
