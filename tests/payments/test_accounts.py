"""Customer accounts: registration with the registration code, adding connections, and "my bills"."""

import contextlib
import datetime
import threading

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from payments.models import Channel, CreditEntry, CreditKind, Payment, PaymentAllocation, PaymentReversal
from pdam.models import AuditEntry
from pdam.roles import Role, user_role
from tests.customers.factories import CustomerFactory
from tests.payments.factories import invoice_for

pytestmark = pytest.mark.django_db
User = get_user_model()

NEW_PASSWORD = "Air-bersih-2026!"
TODAY = datetime.datetime(2026, 10, 5, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def anon(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def unlinked():
    """A connection without an account, billed four times: June is too old to prove it."""
    customer = CustomerFactory(name="Rahmat Hidayat")
    for month, total in [(6, 61_000), (7, 41_000), (8, 47_300), (9, 52_000)]:
        invoice_for(customer, datetime.date(2026, month, 1), total)
    return customer


def register(
    client, number, code, email="rahmat@example.test", password=NEW_PASSWORD, password2=None, **extra
):
    return client.post(
        reverse("payments:register"),
        {
            "number": number,
            "code": code,
            "email": email,
            "password1": password,
            "password2": password if password2 is None else password2,
        },
        **extra,
    )


def errors(response) -> str:
    return response.content.decode()


# --- Registration ----------------------------------------------------------------------------------


def test_register_page_says_what_to_type_and_where_to_find_it(anon):
    page = anon.get(reverse("payments:register")).content.decode()
    assert "registration code" in page
    assert "Total to pay" not in page


@pytest.mark.parametrize("typed", ["{grouped}", "{raw}", " {lower} "])
def test_register_with_the_code_from_the_bill(anon, unlinked, typed):
    code = unlinked.registration_code
    typed = typed.format(grouped=f"{code[:5]}-{code[5:]}", raw=code, lower=code.lower())
    response = register(anon, unlinked.number, typed)
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:my_bills")
    user = User.objects.get(username="rahmat@example.test")
    assert user.email == "rahmat@example.test"
    assert user_role(user) is Role.CUSTOMER
    assert not user.is_staff
    assert user.check_password(NEW_PASSWORD)
    unlinked.refresh_from_db()
    assert unlinked.user == user
    entry = AuditEntry.objects.get(action="customer.portal_link", object_id=str(unlinked.pk))
    assert entry.actor == user
    assert entry.changes == {"user": [None, "rahmat@example.test"]}
    # Logged in: my bills opens at once.
    page = anon.get(reverse("payments:my_bills")).content.decode()
    assert unlinked.number in page


def test_email_is_the_login_in_any_case(anon, unlinked):
    register(anon, unlinked.number, unlinked.registration_code, email="Rahmat@Example.TEST")
    assert User.objects.filter(username="rahmat@example.test").exists()
    anon.logout()
    response = anon.post(reverse("login"), {"username": "rahmat@example.test", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert anon.get(reverse("payments:my_bills")).status_code == 200


def _nothing_changed(unlinked, users_before):
    unlinked.refresh_from_db()
    assert unlinked.user is None
    assert User.objects.count() == users_before
    assert not AuditEntry.objects.filter(action="customer.portal_link").exists()


def _another_code(code: str) -> str:
    """`code` with its last character changed: one typo, or one guess next to the right code."""
    return code[:-1] + ("2" if code[-1] != "2" else "3")


def test_register_with_the_amount_the_bill_check_shows_is_refused(anon, unlinked):
    """The attack: the public bill check shows the total to anyone; it is no proof any more."""
    check = anon.get(reverse("home"), {"nomor": unlinked.number}).content.decode()
    assert "52.000" in check  # September's bill, shown to anyone
    assert unlinked.registration_code not in check
    users_before = User.objects.count()
    for typed in ("52000", "Rp 52.000"):
        response = anon.post(
            reverse("payments:register"),
            {
                "number": unlinked.number,
                "proof": typed,
                "code": typed,
                "email": "thief@example.test",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
        assert response.status_code == 200
    _nothing_changed(unlinked, users_before)


def test_register_refuses_a_wrong_code(anon, unlinked, other_customer):
    users_before = User.objects.count()
    for code in (_another_code(unlinked.registration_code), other_customer.registration_code):
        response = register(anon, unlinked.number, code)
        assert response.status_code == 200
        assert "The customer number and the registration code do not match" in errors(response)
    _nothing_changed(unlinked, users_before)


def test_register_unknown_number_answers_as_a_wrong_code(anon, unlinked):
    users_before = User.objects.count()
    response = register(anon, "0000000001", unlinked.registration_code)
    assert "The customer number and the registration code do not match" in errors(response)
    _nothing_changed(unlinked, users_before)


def test_register_refuses_a_connection_linked_to_another_account(anon, customer, customer_user):
    invoice_for(customer, datetime.date(2026, 9, 1), 52_000)
    users_before = User.objects.count()
    response = register(anon, customer.number, customer.registration_code)
    assert "already linked to another portal account" in errors(response)
    customer.refresh_from_db()
    assert customer.user == customer_user
    assert User.objects.count() == users_before


def test_register_refuses_an_email_already_used(anon, unlinked, customer_user):
    users_before = User.objects.count()
    response = register(anon, unlinked.number, unlinked.registration_code, email=customer_user.email.upper())
    assert "An account with this email address already exists" in errors(response)
    _nothing_changed(unlinked, users_before)


@pytest.mark.parametrize(
    ("password", "password2", "message"),
    [
        ("12345678", None, "This password is entirely numeric."),
        ("short", None, "This password is too short."),
        ("password123", None, "This password is too common."),
        (NEW_PASSWORD, "Air-bersih-2027!", "The two passwords differ."),
    ],
)
def test_register_applies_the_password_validators(anon, unlinked, password, password2, message):
    users_before = User.objects.count()
    response = register(
        anon, unlinked.number, unlinked.registration_code, password=password, password2=password2
    )
    assert message in errors(response)
    _nothing_changed(unlinked, users_before)


def test_register_refuses_a_malformed_code(anon, unlinked):
    assert "A registration code has 10 letters and digits" in errors(
        register(anon, unlinked.number, "ABC-12")
    )


def test_proof_cannot_be_brute_forced_per_number(anon, unlinked, settings):
    settings.CONNECTION_PROOF_FAILURE_LIMIT = 5
    settings.CONNECTION_PROOF_WINDOW_SECONDS = 3600
    for guess in range(5):
        assert "do not match" in errors(register(anon, unlinked.number, f"ABCDE{guess + 2}ABCD"))
    # The right code is refused too while the number is locked, from any address.
    response = register(anon, unlinked.number, unlinked.registration_code, REMOTE_ADDR="10.9.9.9")
    assert "Too many wrong attempts" in errors(response)
    assert unlinked.invoices.exists()
    unlinked.refresh_from_db()
    assert unlinked.user is None
    with time_machine.travel(TODAY + datetime.timedelta(hours=1, minutes=1), tick=False):
        assert register(anon, unlinked.number, unlinked.registration_code).status_code == 302
    unlinked.refresh_from_db()
    assert unlinked.user is not None


def test_proof_throttle_per_address_across_numbers(anon, unlinked, settings):
    settings.CONNECTION_PROOF_IP_FAILURE_LIMIT = 3
    for number in ("0000000001", "0000000002", "0000000003"):
        register(anon, number, unlinked.registration_code)
    assert "Too many wrong attempts" in errors(register(anon, unlinked.number, unlinked.registration_code))
    # Another address may still register this number.
    response = register(anon, unlinked.number, unlinked.registration_code, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 302


def test_logged_in_user_is_sent_to_add_a_connection(persona_client, customer):
    response = persona_client("customer").get(reverse("payments:register"))
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:connection_add")


# --- Adding a connection ---------------------------------------------------------------------------


@pytest.fixture
def budi(persona_client, customer):
    client = persona_client("customer")
    client.cookies["django_language"] = "en"
    return client


def add(client, number, code, **extra):
    return client.post(reverse("payments:connection_add"), {"number": number, "code": code}, **extra)


def test_landlord_adds_a_second_connection(budi, customer, customer_user, unlinked):
    response = add(budi, unlinked.number, unlinked.registration_code)
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:my_bills")
    unlinked.refresh_from_db()
    assert unlinked.user == customer_user
    assert set(customer_user.connections.values_list("number", flat=True)) == {
        customer.number,
        unlinked.number,
    }
    entry = AuditEntry.objects.get(action="customer.portal_link", object_id=str(unlinked.pk))
    assert entry.actor == customer_user
    page = budi.get(reverse("payments:my_bills")).content.decode()
    assert customer.number in page and unlinked.number in page


def test_add_refuses_a_wrong_code(budi, unlinked):
    assert "do not match" in errors(add(budi, unlinked.number, _another_code(unlinked.registration_code)))
    assert "do not match" not in errors(add(budi, unlinked.number, "47300"))  # malformed, no amount
    unlinked.refresh_from_db()
    assert unlinked.user is None


def test_add_refuses_another_accounts_connection(budi, other_customer, other_customer_user):
    response = add(budi, other_customer.number, other_customer.registration_code)
    assert "already linked to another portal account" in errors(response)
    other_customer.refresh_from_db()
    assert other_customer.user == other_customer_user


def test_add_a_connection_already_held(budi, customer):
    assert "already in your account" in errors(add(budi, customer.number, customer.registration_code))
    assert not AuditEntry.objects.filter(action="customer.portal_link").exists()


def test_add_is_throttled_like_registration(budi, unlinked, settings):
    settings.CONNECTION_PROOF_FAILURE_LIMIT = 2
    add(budi, unlinked.number, "ABCDE-ABCD2")
    add(budi, unlinked.number, "ABCDE-ABCD3")
    assert "Too many wrong attempts" in errors(add(budi, unlinked.number, unlinked.registration_code))
    unlinked.refresh_from_db()
    assert unlinked.user is None


@pytest.mark.parametrize("url_name", ["payments:connection_add", "payments:my_bills"])
def test_customer_pages_refuse_staff_and_send_anonymous_to_login(persona_client, url_name):
    url = reverse(url_name)
    assert persona_client("cashier").get(url).status_code == 403
    assert (
        persona_client("cashier").post(url, {"number": "0000000001", "code": "ABCDE-ABCD2"}).status_code
        == 403
    )
    response = persona_client("anonymous").get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- My bills --------------------------------------------------------------------------------------


def _payment(customer, receipt, invoices, *, channel=Channel.CREDIT, paid_at=None):
    total = sum(invoice.total for invoice in invoices)
    payment = Payment.objects.create(
        receipt_number=receipt,
        channel=channel,
        customer=customer,
        amount=0,
        credit_used=total,
        paid_at=paid_at or timezone.now(),
        business_date=datetime.date(2026, 9, 25),
    )
    for invoice in invoices:
        PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=invoice.total)
    return payment


@pytest.fixture
def history(customer):
    """Budi: July paid (KRD-1), August paid then voided (KRD-2), August and September owed,
    Rp 5.000 credit."""
    july = invoice_for(customer, datetime.date(2026, 7, 1), 41_000)
    august = invoice_for(customer, datetime.date(2026, 8, 1), 47_300)
    september = invoice_for(customer, datetime.date(2026, 9, 1), 52_000)
    _payment(
        customer, "KRD-00000001", [july], paid_at=datetime.datetime(2026, 7, 15, 2, 0, tzinfo=datetime.UTC)
    )
    voided = _payment(customer, "KRD-00000002", [august])
    PaymentReversal.objects.create(
        payment=voided, kind="void", reason="Salah input", business_date=datetime.date(2026, 9, 25)
    )
    PaymentAllocation.objects.filter(payment=voided).update(
        released_at=timezone.now(), released_reason="void"
    )
    CreditEntry.objects.create(customer=customer, amount=5_000, kind=CreditKind.OVERPAYMENT)
    return {"july": july, "august": august, "september": september}


def test_my_bills_shows_owed_paid_receipts_pdfs_and_credit(budi, customer, history):
    page = budi.get(reverse("payments:my_bills")).content.decode()
    owed, _sep, rest = page.partition("Paid bills")
    # Outstanding, oldest first, with a Pay form for both.
    assert owed.index("August 2026") < owed.index("September 2026")
    assert "Rp 99.300" in owed
    assert f'name="invoice" value="{history["august"].pk}"' in owed
    assert f'name="invoice" value="{history["september"].pk}"' in owed
    assert f'value="{reverse("payments:my_bills")}"' in owed  # back here after an error
    assert reverse("billing:invoice_pdf", args=[history["august"].number]) in owed
    # Paid: July, when and how, with its receipt and PDF.
    paid, _h, payments = rest.partition("Payment history")
    assert "July 2026" in paid and "15 Jul 2026" in paid
    assert reverse("payments:receipt", args=["KRD-00000001"]) in paid
    assert reverse("billing:invoice_pdf", args=[history["july"].number]) in paid
    assert "KRD-00000002" not in paid
    # History: both receipts, the voided one marked.
    assert reverse("payments:receipt", args=["KRD-00000002"]) in payments
    assert "Void at the counter" in payments
    assert "Rp 5.000" in page  # credit
    assert customer.name in page  # the account holder sees their own name unmasked


def test_customer_never_sees_another_customers_bills(persona_client, customer, other_customer, history):
    others = invoice_for(other_customer, datetime.date(2026, 9, 1), 99_900)
    _payment(other_customer, "KRD-00000099", [invoice_for(other_customer, datetime.date(2026, 8, 1), 12_300)])
    mine = persona_client("customer").get(reverse("payments:my_bills")).content.decode()
    assert other_customer.number not in mine and others.number not in mine and "KRD-00000099" not in mine
    theirs = persona_client("other_customer").get(reverse("payments:my_bills")).content.decode()
    assert customer.number not in theirs
    assert history["july"].number not in theirs and "KRD-00000001" not in theirs
    assert other_customer.number in theirs and "KRD-00000099" in theirs


def test_my_bills_without_connections(persona_client, customer_user):
    page = persona_client("customer").get(reverse("payments:my_bills")).content.decode()
    assert reverse("payments:connection_add") in page


def test_my_bills_query_count_does_not_grow_with_connections(
    budi, customer, customer_user, history, django_assert_max_num_queries
):
    # + 3 for the denda of the outstanding invoices (arrears' surcharge: invoices, rules, fees).
    with django_assert_max_num_queries(15) as one:
        budi.get(reverse("payments:my_bills"))
    for n in range(4):
        extra = CustomerFactory(user=customer_user)
        for month in range(1, 10):
            invoice_for(extra, datetime.date(2026, month, 1), 30_000 + month)
        _payment(extra, f"KRD-1000000{n}", list(extra.invoices.order_by("period__month")[:3]))
    with django_assert_max_num_queries(len(one.captured_queries)) as five:
        page = budi.get(reverse("payments:my_bills")).content.decode()
    assert page.count('id="connection-') == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_spoofed_forwarded_for_does_not_escape_the_proof_throttle(anon, unlinked, settings):
    """Behind one proxy, a new made-up left-hand address per attempt is still the same client."""
    settings.PROXY_COUNT = 1
    settings.CONNECTION_PROOF_IP_FAILURE_LIMIT = 3
    for n, number in enumerate(("0000000001", "0000000002", "0000000003")):
        register(anon, number, unlinked.registration_code, HTTP_X_FORWARDED_FOR=f"1.1.1.{n}, 198.51.100.7")
    response = register(
        anon, unlinked.number, unlinked.registration_code, HTTP_X_FORWARDED_FOR="1.1.1.99, 198.51.100.7"
    )
    assert "Too many wrong attempts" in errors(response)
    unlinked.refresh_from_db()
    assert unlinked.user is None


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_proofs_cannot_slip_past_the_limit(settings, monkeypatch):
    """Ten guesses sent at once, limit three: only three are ever judged. (Counting after judging
    let every request of a burst pass the "under the limit" check first.)"""
    from django.db import connection

    from payments import accounts

    settings.CONNECTION_PROOF_FAILURE_LIMIT = 3
    customer = CustomerFactory()
    judged = []
    barrier = threading.Barrier(10, timeout=2)

    def judge(stored, typed):
        judged.append(typed)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()  # every request that got this far is judging at the same moment
        return False

    monkeypatch.setattr(accounts, "registration_code_matches", judge)
    outcomes = []

    def attempt(i):
        try:
            accounts._customer_proven(number=customer.number, code=f"ABCDE{i + 2}ABCD", ip=f"10.0.0.{i}")
        except Exception as error:  # noqa: BLE001 - the outcome is what is counted
            outcomes.append(getattr(error, "code", None) or "proof")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(judged) == 3
    assert outcomes.count("throttled") == 7
