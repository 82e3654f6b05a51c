"""Staff sessions end after a working day idle; a password guesser cannot lock every cashier out."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _login(username: str, password: str, ip: str) -> Client:
    client = Client(REMOTE_ADDR=ip)
    client.post(reverse("login"), {"username": username, "password": password})
    return client


def test_a_staff_session_ends_after_a_working_day_idle(cashier_user, settings):
    settings.STAFF_SESSION_IDLE_HOURS = 10
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = _login("nurul_kasir", PASSWORD, "198.51.100.7")
        assert client.get(reverse("dashboard")).status_code in (200, 302)
        assert client.session.get_expiry_age() == 10 * 3600
        clock.move_to(start + datetime.timedelta(hours=9))
        assert client.get(reverse("payments:desk")).status_code == 200  # still working: pushed on
        clock.move_to(start + datetime.timedelta(hours=18, minutes=30))
        assert client.get(reverse("payments:desk")).status_code == 200
        clock.move_to(start + datetime.timedelta(hours=28, minutes=31))
        response = client.get(reverse("payments:desk"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_customer_session_keeps_djangos_age(customer_user, settings):
    client = _login("budi", PASSWORD, "198.51.100.8")
    client.get(reverse("payments:my_bills"))
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_failures_from_one_address_do_not_lock_the_cashier_out_elsewhere(cashier_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(5):
        _login("nurul_kasir", "wrong-password", "203.0.113.66")
    locked = Client(REMOTE_ADDR="203.0.113.66")
    response = locked.post(reverse("login"), {"username": "nurul_kasir", "password": PASSWORD})
    assert "_auth_user_id" not in locked.session
    assert response.status_code in (403, 429, 200)
    counter = _login("nurul_kasir", PASSWORD, "198.51.100.20")
    assert "_auth_user_id" in counter.session
