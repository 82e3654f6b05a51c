"""The desk, shift and void pages as the cashier uses them: the page, then the database."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import TariffVersion
from meters.models import Reading
from payments import cashier, online, selectors, services
from payments.models import CashierShift, OnlineOrder, OrderInvoice, OrderState, Payment, PaymentReversal
from pdam.roles import Role, user_create
from tests.conftest import PASSWORD
from tests.payments.desk import FEB, JAN, MAR, _today  # noqa: F401 - the day's fixture
from tests.payments.factories import invoice_for

pytestmark = pytest.mark.django_db

DESK = reverse("payments:desk")


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def desk_client(persona_client):
    return english(persona_client("cashier"))


def pay_url(customer) -> str:
    return reverse("payments:desk_pay", args=[customer.number])


@pytest.mark.parametrize("scan", ["{number}", "http://127.0.0.1:8000/?nomor={number}", "202603-{number}"])
def test_lookup_by_number_qr_or_invoice_number(desk_client, customer, invoices, shift, scan):
    response = desk_client.get(DESK, {"q": scan.format(number=customer.number)})
    assert response.status_code == 200
    page = response.content.decode()
    assert customer.name in page
    assert [row.invoice for row in response.context["desk"].invoices] == invoices
    for amount in ("Rp 47.300", "Rp 52.100", "Rp 38.900", "Rp 138.300"):
        assert amount in page
    assert "autofocus" in page.split('id="id_tendered"')[1].split(">")[0]


def test_lookup_of_an_unknown_number(desk_client, shift):
    response = desk_client.get(DESK, {"q": "0909090909"})
    assert response.status_code == 200
    assert "No customer has that number." in response.content.decode()
    assert response.context["desk"] is None


def test_lookup_without_a_shift_says_open_one(desk_client, customer, invoices):
    page = desk_client.get(DESK, {"q": customer.number}).content.decode()
    assert "No open shift" in page
    assert 'id="desk-confirm" disabled' in page


def test_lookup_page_query_count(desk_client, customer, invoices, shift, django_assert_max_num_queries):
    live = OnlineOrder.objects.create(
        order_id="PDAM-Q-1",
        customer=customer,
        gross_amount=47_300,
        invoice_key=str(invoices[0].pk),
        state=OrderState.PENDING,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    OrderInvoice.objects.create(order=live, invoice=invoices[0], amount=47_300)
    for month in range(4, 13):  # a year of history: more invoices must not mean more queries
        invoice_for(customer, datetime.date(2025, month, 1), 40_000)
    desk_client.get(DESK, {"q": customer.number})  # warm the session and permission caches
    # Session, user, permissions (2), role; the customer with its credit and latest receipt, the
    # invoices, the live order and its lines, the shift; their denda (invoices, rules, fees).
    with django_assert_max_num_queries(13):
        response = desk_client.get(DESK, {"q": customer.number})
    assert len(response.context["desk"].invoices) == 12


def test_pay_two_months_goes_to_the_receipt(desk_client, customer, invoices, shift):
    response = desk_client.post(
        pay_url(customer),
        {"invoices": [invoices[0].pk, invoices[1].pk], "tendered": "100.000", "use_credit": "on"},
    )
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:receipt", args=[payment.receipt_number])
    assert (payment.amount, payment.tendered, payment.change) == (99_400, 100_000, 600)
    page = desk_client.get(response["Location"]).content.decode()
    assert "Payment KAS-00000001 recorded. Change: Rp 600." in page


def test_the_second_cashier_gets_a_clear_message(desk_client, customer, invoices, shift):
    other = user_create(username="andi_kasir", password=PASSWORD, role=Role.CASHIER)
    cashier.shift_open(cashier=other, opening_float=0)
    # Andi took the customer's cash a moment before; Nurul's page still lists January.
    services.cash_payment_take(
        cashier=other, customer=customer, invoice_ids=[invoices[0].pk], tendered=47_300
    )
    response = desk_client.post(pay_url(customer), {"invoices": [invoices[0].pk], "tendered": "50000"})
    assert response.status_code == 200
    assert "no longer outstanding" in response.content.decode()
    assert Payment.objects.count() == 1
    assert [row.invoice for row in response.context["desk"].invoices] == invoices[1:]


def test_skipping_an_older_month_is_refused(desk_client, customer, invoices, shift):
    response = desk_client.post(pay_url(customer), {"invoices": [invoices[1].pk], "tendered": "100000"})
    assert response.status_code == 200
    assert "Pay the oldest invoices first" in response.content.decode()
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"invoices": [], "tendered": "100000"}, "Choose at least one invoice to pay."),
        ({"invoices": ["x"], "tendered": "100000"}, "Select a valid choice"),
        ({"invoices": ["9" * 30], "tendered": "100000"}, "Select a valid choice"),
        ({"invoices": [str(2**63)], "tendered": "100000"}, "Select a valid choice"),
        ({"tendered": "seratus ribu"}, "Enter an amount in whole Rupiah"),
        ({"tendered": "40.000"}, "less than the amount due"),
    ],
)
def test_bad_input_changes_nothing(desk_client, customer, invoices, shift, data, message):
    data = {"invoices": [invoices[0].pk], **data}
    response = desk_client.post(pay_url(customer), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Payment.objects.exists()


def test_pay_without_a_shift_is_refused(desk_client, customer, invoices):
    response = desk_client.post(pay_url(customer), {"invoices": [invoices[0].pk], "tendered": "50000"})
    assert response.status_code == 200
    assert "Open a shift before taking payments." in response.content.decode()
    assert not Payment.objects.exists()


def test_live_online_order_is_shown_and_cancelled_first(desk_client, customer, invoices, shift, monkeypatch):
    order = OnlineOrder.objects.create(
        order_id="PDAM-LIVE-1",
        customer=customer,
        gross_amount=47_300,
        invoice_key=str(invoices[0].pk),
        state=OrderState.PENDING,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    OrderInvoice.objects.create(order=order, invoice=invoices[0], amount=47_300)
    page = desk_client.get(DESK, {"q": customer.number}).content.decode()
    assert "An online payment is in progress for these invoices." in page
    assert "PDAM-LIVE-1" in page

    def already_paid(*, order, actor):
        raise ValidationError("paid")

    monkeypatch.setattr(online, "order_cancel", already_paid)
    response = desk_client.post(pay_url(customer), {"invoices": [invoices[0].pk], "tendered": "50000"})
    assert response.status_code == 200
    assert "These invoices were just paid online (order PDAM-LIVE-1)" in response.content.decode()
    assert not Payment.objects.exists()


def test_shift_pages_open_and_close(desk_client, customer, invoices, cashier_user):
    assert "Open a shift" in desk_client.get(reverse("payments:shift")).content.decode()
    response = desk_client.post(reverse("payments:shift_open"), {"opening_float": "200.000"})
    assert response.status_code == 302
    shift = CashierShift.objects.get(cashier=cashier_user)
    assert shift.opening_float == 200_000
    services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
    )
    response = desk_client.post(reverse("payments:shift_close"), {"counted_cash": "247000", "note": "Kurang"})
    assert response["Location"] == reverse("payments:shift_report", args=[shift.pk])
    page = desk_client.get(response["Location"]).content.decode()
    for text in ("Rp 200.000", "Rp 47.300", "Rp 247.300", "Rp 247.000", "-Rp 300", "Kurang"):
        assert text in page


def test_shift_open_refuses_bad_input(desk_client, cashier_user):
    response = desk_client.post(reverse("payments:shift_open"), {"opening_float": "-5"})
    assert response.status_code == 200
    assert not CashierShift.objects.exists()
    response = desk_client.post(reverse("payments:shift_close"), {"counted_cash": "1000"})
    assert "You have no open shift to close." in response.content.decode()


def test_supervisor_sees_the_day_and_cashiers_only_their_own(
    persona_client, customer, invoices, cashier_user, supervisor_user
):
    other = user_create(username="andi_kasir", password=PASSWORD, role=Role.CASHIER)
    mine = cashier.shift_open(cashier=cashier_user, opening_float=200_000)
    theirs = cashier.shift_open(cashier=other, opening_float=100_000)
    cashier.shift_close(cashier=other, counted_cash=100_500)
    supervisor = english(persona_client("supervisor"))
    response = supervisor.get(reverse("payments:shifts_day"), {"date": "2026-04-10"})
    assert {row.shift for row in response.context["day"].shifts} == {mine, theirs}
    assert "Rp 500" in response.content.decode()
    assert supervisor.get(reverse("payments:shift_report", args=[mine.pk])).status_code == 200
    desk = english(persona_client("cashier"))
    response = desk.get(reverse("payments:shifts_day"), {"date": "2026-04-10"})
    assert [row.shift for row in response.context["day"].shifts] == [mine]
    assert desk.get(reverse("payments:shift_report", args=[theirs.pk])).status_code == 404


def test_void_with_the_supervisors_password(
    desk_client, customer, invoices, shift, cashier_user, supervisor_user
):
    payment = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
    )
    url = reverse("payments:payment_void", args=[payment.receipt_number])
    assert desk_client.get(url).status_code == 200
    wrong = {
        "reason": "Salah pelanggan",
        "approver_username": supervisor_user.username,
        "approver_password": "x",
    }
    response = desk_client.post(url, wrong)
    assert response.status_code == 200
    assert "The supervisor&#x27;s username or password is wrong." in response.content.decode()
    assert not PaymentReversal.objects.exists()
    own = {
        "reason": "Salah pelanggan",
        "approver_username": cashier_user.username,
        "approver_password": PASSWORD,
    }
    response = desk_client.post(url, own)
    assert "The approver must be a supervisor" in response.content.decode()
    assert not PaymentReversal.objects.exists()
    right = {**wrong, "approver_password": PASSWORD}
    response = desk_client.post(url, right)
    assert response.status_code == 302
    reversal = PaymentReversal.objects.get()
    assert (reversal.approved_by, reversal.requested_by, reversal.shift) == (
        supervisor_user,
        cashier_user,
        shift,
    )
    assert selectors.invoices_outstanding(customer=customer).count() == 3
    page = desk_client.get(response["Location"]).content.decode()
    assert "DIBATALKAN / VOID" in page


def test_void_of_yesterdays_payment_is_not_offered(desk_client, customer, invoices, shift, cashier_user):
    payment = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=50_000
    )
    Payment.objects.filter(pk=payment.pk).update(business_date=datetime.date(2026, 4, 9))
    url = reverse("payments:payment_void", args=[payment.receipt_number])
    page = desk_client.get(url).content.decode()
    assert "only on the day it was taken" in page
    assert 'id="void-form"' not in page


def test_a_cashier_cannot_change_tariffs_or_readings(desk_client, customer):
    for name, kwargs in [
        ("billing:tariff_create", {}),
        ("billing:tariffs", {}),
        ("meters:route_entry", {}),
        ("meters:reading_single", {"number": customer.number}),
        ("meters:import_upload", {}),
    ]:
        url = reverse(name, kwargs=kwargs)
        assert desk_client.get(url).status_code == 403, name
        assert desk_client.post(url, {}).status_code == 403, name
    assert not TariffVersion.objects.exists()
    assert not Reading.objects.exists()
    cashier_perms = set(
        Permission.objects.filter(group__name=Role.CASHIER).values_list("content_type__app_label", "codename")
    )
    assert not {p for p in cashier_perms if p[0] in ("billing", "meters") and not p[1].startswith("view_")}


def test_customer_page_has_the_payments_section(persona_client, customer, invoices, shift, cashier_user):
    from payments.models import CreditEntry, CreditKind

    CreditEntry.objects.create(customer=customer, amount=12_500, kind=CreditKind.OVERPAYMENT)
    payment = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[invoices[0].pk], tendered=40_000
    )
    for persona in ("cashier", "cs", "supervisor"):
        page = english(persona_client(persona)).get(reverse("customers:detail", args=[customer.number]))
        text = page.content.decode()
        assert payment.receipt_number in text, persona
        assert "Credit balance" in text
        assert "Rp 12.500" in text  # the credit entry, used in full: balance Rp 0
        assert 'id="customer-credit">Rp 0<' in text
