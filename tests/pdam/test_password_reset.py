"""A customer who forgot their password gets a link by e-mail (through the outbox); staff do not,
nobody learns which addresses have an account, and the requests are throttled."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from pdam.messaging.models import Message

pytestmark = pytest.mark.django_db


def ask(client, email, **extra):
    return client.post(reverse("password_reset"), {"email": email}, **extra)


def test_a_customer_resets_a_forgotten_password(client, customer_user):
    response = ask(client, customer_user.email.upper())
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    [message] = Message.objects.filter(template="password_reset")
    assert message.recipient == customer_user.email
    assert message.secret
    link = message.context["link"]
    path = re.sub(r"^https?://[^/]+", "", link)
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.request["PATH_INFO"]
    done = client.post(set_url, {"new_password1": "Air-bersih-2027!", "new_password2": "Air-bersih-2027!"})
    assert done.status_code == 302
    customer_user.refresh_from_db()
    assert customer_user.check_password("Air-bersih-2027!")
    # The link works once.
    assert "sudah kedaluwarsa" in client.get(path, follow=True).content.decode()


def test_staff_and_unknown_addresses_get_the_same_answer_and_no_link(client, cashier_user):
    for email in (cashier_user.email, "nobody@example.test"):
        response = ask(client, email)
        assert response["Location"] == reverse("password_reset_done")
    assert not Message.objects.filter(template="password_reset").exists()


def test_requests_are_throttled_per_address(client, customer_user, settings):
    settings.PASSWORD_RESET_REQUEST_LIMIT = 2
    start = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=datetime.UTC)
    for minute in range(4):  # a link's token changes with time; a double click in one second does not
        with time_machine.travel(start + datetime.timedelta(minutes=minute), tick=False):
            assert ask(client, customer_user.email)["Location"] == reverse("password_reset_done")
    assert Message.objects.filter(template="password_reset").count() == 2


def test_the_login_page_says_customers_log_in_with_their_email(client):
    client.cookies["django_language"] = "en"
    page = client.get(reverse("login")).content.decode()
    assert "Customers log in with their e-mail address." in page
    assert reverse("password_reset") in page
