"""The second proof of a connection: a one-time code e-mailed to the address on file."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from payments import accounts
from payments.accounts import one_time_code_request
from payments.masking import mask_email
from payments.models import OneTimeCode
from pdam.models import AuditEntry
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

PASSWORD = "Air-bersih-2026!"
START = datetime.datetime(2026, 10, 5, 10, 0, tzinfo=datetime.UTC)
ANSWER = "If this customer number has an e-mail address on file, we have sent a one-time code to it."


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def anon(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def with_email():
    return CustomerFactory(name="Rahmat Hidayat", email="rahmat.hidayat@gmail.com")


@pytest.fixture
def without_email():
    return CustomerFactory(name="Siti Aminah", email="")


@pytest.fixture
def ask(anon, django_capture_on_commit_callbacks):
    def ask(number, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return anon.post(reverse("payments:one_time_code"), {"number": number}, follow=True, **extra)

    return ask


def sent_code() -> str:
    assert len(mail.outbox) >= 1
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def register(client, number, code, email="rahmat@example.test"):
    return client.post(
        reverse("payments:register"),
        {"number": number, "code": code, "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def _wrong(code: str) -> str:
    return code[:-1] + ("1" if code[-1] != "1" else "2")


# --- Masking ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("budi@gmail.com", "b***@g***.com"),
        ("rahmat.hidayat@pdam.example.co.id", "r***@p***.id"),
        ("x@localhost", "x***@l***"),
        ("", ""),
        ("not-an-address", ""),
    ],
)
def test_mask_email(address, masked):
    assert mask_email(address) == masked


# --- Sending ---------------------------------------------------------------------------------------


def test_code_goes_to_the_address_on_file_only_and_the_page_never_shows_it(ask, with_email):
    response = ask(with_email.number)
    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("payments:register"), 302)]  # back to type it
    page = response.content.decode()
    assert ANSWER in page
    assert "rahmat.hidayat@gmail.com" not in page
    assert [message.to for message in mail.outbox] == [["rahmat.hidayat@gmail.com"]]
    code = sent_code()
    assert code not in page
    # Stored hashed, never the code itself.
    row = OneTimeCode.objects.get(customer=with_email)
    assert code not in row.code_hash
    assert len(row.code_hash) == 64
    assert row.expires_at == START + datetime.timedelta(minutes=10)
    # The audit trail says where it went, masked.
    entry = AuditEntry.objects.get(action="customer.one_time_code_sent", object_id=str(with_email.pk))
    assert entry.changes == {"email": "r***@g***.com"}


def test_unknown_number_and_number_without_email_get_the_same_answer(ask, with_email, without_email):
    def answer(number):
        page = ask(number).content.decode()
        # Per-response tokens (CSRF, script nonces) differ on every page; nothing else may.
        page = re.sub(r'(csrfmiddlewaretoken" value|nonce)="[^"]*"', r"\1=TOKEN", page)
        return page.replace(number, "NUMBER")

    known = answer(with_email.number)
    assert answer(without_email.number) == known
    assert answer("0999999999") == known
    assert [message.to for message in mail.outbox] == [["rahmat.hidayat@gmail.com"]]
    assert OneTimeCode.objects.count() == 1


def test_no_mail_when_the_transaction_rolls_back(with_email):
    # Outside the commit-capturing fixture the on-commit mail never goes: nothing leaks on rollback.
    one_time_code_request(number=with_email.number, ip="203.0.113.9")
    assert mail.outbox == []


# --- Using the code --------------------------------------------------------------------------------


def test_the_emailed_code_links_the_connection(anon, ask, with_email):
    ask(with_email.number)
    code = sent_code()
    response = register(anon, with_email.number, code)
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:my_bills")
    with_email.refresh_from_db()
    assert with_email.user == User.objects.get(username="rahmat@example.test")
    assert OneTimeCode.objects.get(customer=with_email).used_at == START


def test_the_emailed_code_adds_a_connection_to_a_signed_in_customer(
    persona_client, customer_user, with_email, django_capture_on_commit_callbacks
):
    client = persona_client("customer")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("payments:one_time_code"), {"number": with_email.number})
    assert response["Location"] == reverse("payments:connection_add")
    response = client.post(
        reverse("payments:connection_add"), {"number": with_email.number, "code": sent_code()}
    )
    assert response.status_code == 302
    with_email.refresh_from_db()
    assert with_email.user == customer_user


def test_wrong_code_is_refused_and_counted(anon, ask, with_email):
    ask(with_email.number)
    code = sent_code()
    users_before = User.objects.count()
    response = register(anon, with_email.number, _wrong(code))
    assert response.status_code == 200
    assert "This one-time code is wrong, expired or already used." in response.content.decode()
    assert OneTimeCode.objects.get(customer=with_email).attempts == 1
    with_email.refresh_from_db()
    assert with_email.user is None
    assert User.objects.count() == users_before


def test_five_wrong_tries_kill_the_code(anon, ask, with_email, settings):
    settings.CONNECTION_PROOF_FAILURE_LIMIT = 100  # the per-code limit is the one under test
    ask(with_email.number)
    code = sent_code()
    for _ in range(5):
        register(anon, with_email.number, _wrong(code))
    assert OneTimeCode.objects.get(customer=with_email).attempts == 5
    response = register(anon, with_email.number, code)
    assert response.status_code == 200
    with_email.refresh_from_db()
    assert with_email.user is None


def test_expired_code_is_refused(anon, ask, with_email, _now):
    ask(with_email.number)
    code = sent_code()
    _now.shift(datetime.timedelta(minutes=10, seconds=1))
    response = register(anon, with_email.number, code)
    assert response.status_code == 200
    assert "This one-time code is wrong, expired or already used." in response.content.decode()
    with_email.refresh_from_db()
    assert with_email.user is None


def test_code_works_until_its_last_second(anon, ask, with_email, _now):
    ask(with_email.number)
    code = sent_code()
    _now.shift(datetime.timedelta(minutes=9, seconds=59))
    assert register(anon, with_email.number, code).status_code == 302


def test_used_code_is_refused(anon, ask, with_email, persona_client, customer_user):
    ask(with_email.number)
    code = sent_code()
    assert register(anon, with_email.number, code).status_code == 302
    # The holder takes it out of the account again; the same code cannot link it anywhere.
    with_email.refresh_from_db()
    with_email.user = None
    with_email.save(update_fields=["user"])
    client = persona_client("customer")
    response = client.post(reverse("payments:connection_add"), {"number": with_email.number, "code": code})
    assert response.status_code == 200
    with_email.refresh_from_db()
    assert with_email.user is None


def test_a_new_code_replaces_the_earlier_one(anon, ask, with_email, monkeypatch):
    codes = iter(["111111", "222222"])  # two random codes could, once in a million, be equal
    monkeypatch.setattr(accounts, "one_time_code_new", lambda: next(codes))
    ask(with_email.number)
    first = sent_code()
    ask(with_email.number)
    second = sent_code()
    assert (first, second) == ("111111", "222222")
    assert register(anon, with_email.number, first).status_code == 200
    assert register(anon, with_email.number, second).status_code == 302


def test_another_connections_code_is_no_proof(anon, ask, with_email):
    neighbour = CustomerFactory(email="tetangga@example.test")
    ask(neighbour.number)
    code = sent_code()
    assert register(anon, with_email.number, code).status_code == 200
    with_email.refresh_from_db()
    assert with_email.user is None


def test_bill_registration_code_still_works(anon, with_email):
    assert register(anon, with_email.number, with_email.registration_code).status_code == 302


# --- Throttling ------------------------------------------------------------------------------------


def test_requests_are_throttled_per_number(ask, with_email, settings):
    settings.ONE_TIME_CODE_REQUEST_LIMIT = 3
    for _ in range(3):
        assert ask(with_email.number).status_code == 200
    response = ask(with_email.number, REMOTE_ADDR="198.51.100.7")  # another address: same number
    assert response.status_code == 429
    assert "Too many codes were asked for this customer number" in response.content.decode()
    assert len(mail.outbox) == 3


def test_requests_are_throttled_per_address_unknown_numbers_too(ask, with_email, settings):
    settings.ONE_TIME_CODE_REQUEST_IP_LIMIT = 4
    for number in ("0999999991", "0999999992", "0999999993", "0999999994"):
        assert ask(number).status_code == 200
    response = ask(with_email.number)
    assert response.status_code == 429
    assert mail.outbox == []
    # Another address is not held back by this one.
    assert ask(with_email.number, REMOTE_ADDR="198.51.100.7").status_code == 200
    assert len(mail.outbox) == 1


def test_throttle_keys_on_the_client_behind_the_proxy(ask, with_email, settings):
    settings.PROXY_COUNT = 1
    settings.ONE_TIME_CODE_REQUEST_IP_LIMIT = 1
    assert ask("0999999991", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert ask("0999999992", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    assert ask("0999999993", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200


def test_staff_cannot_ask_for_codes(persona_client, with_email):
    response = persona_client("cs").post(reverse("payments:one_time_code"), {"number": with_email.number})
    assert response.status_code == 403
    assert mail.outbox == []


def test_page_in_indonesian(client, with_email, django_capture_on_commit_callbacks):
    client.cookies["django_language"] = "id"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("payments:one_time_code"), {"number": with_email.number}, follow=True)
    page = response.content.decode()
    assert "Jika nomor pelanggan ini memiliki alamat e-mail yang terdaftar" in page
    assert "Kode sekali pakai Anda untuk sambungan" in mail.outbox[0].body
    assert "Kirimi saya kode lewat e-mail" in client.get(reverse("payments:register")).content.decode()
