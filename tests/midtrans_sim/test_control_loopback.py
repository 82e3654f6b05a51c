"""The simulator's control API answers only the loopback address (REMOTE_ADDR, not X-Forwarded-For)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

CONTROL = [
    ("get", "/midtrans-sim/_sim/"),
    ("post", "/midtrans-sim/_sim/faults"),
    ("post", "/midtrans-sim/_sim/bulk-settle"),
    ("get", "/midtrans-sim/_sim/transactions/PDAM-X"),
    ("post", "/midtrans-sim/_sim/transactions/PDAM-X/act"),
    ("post", "/midtrans-sim/_sim/transactions/PDAM-X/resend"),
    ("post", "/midtrans-sim/_sim/transactions/PDAM-X/lapse"),
]


@pytest.mark.parametrize(("method", "url"), CONTROL)
@pytest.mark.parametrize("forwarded", ["", "127.0.0.1"])
def test_another_address_is_refused_whatever_it_forwards(method, url, forwarded):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    client = Client(REMOTE_ADDR="203.0.113.9")
    answer = getattr(client, method)(url, content_type="application/json", **headers)
    assert answer.status_code == 403


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_the_loopback_address_is_answered(address):
    answer = Client(REMOTE_ADDR=address).get("/midtrans-sim/_sim/transactions/PDAM-NONE")
    assert answer.status_code == 404  # answered: the simulator does not know that order


def test_faults_from_loopback_are_armed():
    answer = Client(REMOTE_ADDR="127.0.0.1").post(
        "/midtrans-sim/_sim/faults", {"snap_create": "error500"}, content_type="application/json"
    )
    assert answer.status_code == 201
