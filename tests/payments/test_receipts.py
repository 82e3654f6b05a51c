"""Receipts: what the 80 mm slip prints, its PDF, copies and voids, and who may see one."""

import datetime
import shutil
import subprocess

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from payments import cashier, receipts, selectors, services
from payments.models import CreditEntry, CreditKind, OnlineOrder, OrderInvoice, OrderState
from tests.payments.factories import invoice_for

pytestmark = pytest.mark.django_db

JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


@pytest.fixture(autouse=True)
def _today():
    # 10:30 in Makassar.
    with time_machine.travel(datetime.datetime(2026, 4, 10, 2, 30, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def cash_payment(customer, cashier_user):
    cashier_user.first_name, cashier_user.last_name = "Nurul", "Kasir"
    cashier_user.save()
    invoices = [invoice_for(customer, JAN, 47_300), invoice_for(customer, FEB, 52_100)]
    CreditEntry.objects.create(customer=customer, amount=9_400, kind=CreditKind.OVERPAYMENT)
    cashier.shift_open(cashier=cashier_user, opening_float=100_000)
    # 99.400 due − 9.400 credit = 90.000 cash; 100.000 tendered, 10.000 change.
    return services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[i.pk for i in invoices], tendered=100_000
    )


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def url(payment) -> str:
    return reverse("payments:receipt", args=[payment.receipt_number])


def test_receipt_prints_every_figure(persona_client, cash_payment, customer, settings):
    settings.UTILITY_NAME = "Perumda Air Minum Tirta Contoh"
    response = english(persona_client("cashier")).get(url(cash_payment))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    for text in (
        "Perumda Air Minum Tirta Contoh",
        "KAS-00000001",
        "10 Apr 2026 10:30",  # local time (WITA)
        "Nurul Kasir",
        customer.number,
        customer.name,
        f"202601-{customer.number}",
        f"202602-{customer.number}",
        "Rp 47.300",
        "Rp 52.100",
        "Rp 99.400",
        "-Rp 9.400",
        "Rp 90.000",
        "Rp 100.000",
        "Rp 10.000",
        "/static/payments/receipt.css",  # prints on an 80 mm roll ("size: 80mm auto")
    ):
        assert text in page, text
    assert "SALINAN / COPY" not in page
    assert "DIBATALKAN / VOID" not in page


def test_reprint_is_marked_as_a_copy(persona_client, cash_payment):
    client = english(persona_client("cashier"))
    response = client.post(reverse("payments:receipt_reprint", args=[cash_payment.receipt_number]))
    assert response["Location"] == url(cash_payment) + "?print=1"
    page = client.get(response["Location"]).content.decode()
    assert "SALINAN / COPY #1" in page
    assert "data-autoprint" in page
    cash_payment.refresh_from_db()
    assert cash_payment.reprints == 1


def test_pdf_on_an_80mm_roll(persona_client, cash_payment, customer):
    response = persona_client("cashier").get(
        reverse("payments:receipt_pdf", args=[cash_payment.receipt_number])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the text check needs it")
    text = subprocess.run(  # noqa: S603 - a fixed tool on our own bytes
        [pdftotext, "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    for expected in ("KAS-00000001", customer.number, "Rp 47.300", "Rp 90.000", "Rp 10.000"):
        assert expected in text, expected
    info = subprocess.run(  # noqa: S603
        [shutil.which("pdfinfo") or "pdfinfo", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    width_pt = float(info.split("Page size:")[1].split("x")[0])
    assert round(width_pt / 72 * 25.4) == 80
    # The slip's stylesheet (static/payments/receipt_slip.css) reached WeasyPrint: a till font.
    fonts = subprocess.run(  # noqa: S603
        [shutil.which("pdffonts") or "pdffonts", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Mono" in fonts


def test_voided_receipt_says_so(persona_client, cash_payment, cashier_user, supervisor_user):
    cashier.payment_void(payment=cash_payment, cashier=cashier_user, approver=supervisor_user, reason="Salah")
    page = persona_client("cashier").get(url(cash_payment)).content.decode()
    assert "DIBATALKAN / VOID" in page
    assert "Salah" in page
    # The invoices it paid are still printed, though its allocations are released.
    assert "Rp 99.400" in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("customer", 200),
        ("other_customer", 404),
        ("anonymous", 404),
        ("cs", 200),
        ("cashier", 200),
        ("manager", 200),
        ("supervisor", 200),
        ("admin", 200),
    ],
)
def test_who_may_see_a_receipt(persona_client, cash_payment, other_customer, persona, status):
    client = persona_client(persona)
    assert client.get(url(cash_payment)).status_code == status
    pdf = client.get(reverse("payments:receipt_pdf", args=[cash_payment.receipt_number]))
    assert pdf.status_code == status


def test_an_unknown_receipt_is_404(persona_client):
    assert (
        persona_client("cashier").get(reverse("payments:receipt", args=["KAS-99999999"])).status_code == 404
    )


def online_payment(customer, invoice):
    order = OnlineOrder.objects.create(
        order_id="PDAM-RCPT-1",
        customer=customer,
        gross_amount=invoice.total,
        invoice_key=str(invoice.pk),
        state=OrderState.PENDING,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    OrderInvoice.objects.create(order=order, invoice=invoice, amount=invoice.total)
    return services.online_settlement_apply(order=order, paid_at=timezone.now()), order


def test_online_receipt_for_the_session_that_paid(customer):
    payment, order = online_payment(customer, invoice_for(customer, JAN, 47_300))
    anonymous = english(Client())
    assert anonymous.get(url(payment)).status_code == 404
    session = anonymous.session
    session["payment_orders"] = ["PDAM-OTHER", order.order_id]
    session.save()
    anonymous.cookies["sessionid"] = session.session_key
    response = anonymous.get(url(payment))
    assert response.status_code == 200
    page = response.content.decode()
    assert "ONL-00000001" in page
    assert "PDAM-RCPT-1" in page
    assert "Online (Midtrans)" in page
    assert "Reprint" not in page  # only staff count copies
    assert (
        anonymous.post(reverse("payments:receipt_reprint", args=[payment.receipt_number])).status_code == 302
    )


def test_credit_channel_receipt(persona_client, customer):
    invoice = invoice_for(customer, JAN, 47_300)
    CreditEntry.objects.create(customer=customer, amount=50_000, kind=CreditKind.OVERPAYMENT)
    payment = services.credit_apply(customer_id=customer.pk)
    assert payment.receipt_number == "KRD-00000001"
    receipt = receipts.receipt_data(payment=selectors.payment_get(receipt_number=payment.receipt_number))
    assert [(line.invoice_number, line.amount) for line in receipt.lines] == [(invoice.number, 47_300)]
    assert (receipt.invoices_total, receipt.payment.credit_used, receipt.payment.amount) == (
        47_300,
        47_300,
        0,
    )
    page = english(persona_client("customer")).get(url(payment)).content.decode()
    assert "Customer credit" in page
    assert "-Rp 47.300" in page


def test_an_anonymous_receipt_shows_the_masked_name_only(customer, persona_client):
    customer.address = "Jl. Merdeka 12"
    customer.save()
    payment, order = online_payment(customer, invoice_for(customer, JAN, 47_300))
    anonymous = english(Client())
    session = anonymous.session
    session["payment_orders"] = [order.order_id]
    session.save()
    anonymous.cookies["sessionid"] = session.session_key
    page = anonymous.get(url(payment)).content.decode()
    assert "B*** S******" in page
    assert customer.name not in page and "Jl. Merdeka 12" not in page
    owner_page = persona_client("customer").get(url(payment)).content.decode()
    assert customer.name in owner_page and "Jl. Merdeka 12" in owner_page


def _remember(client: Client, order) -> Client:
    session = client.session
    session["payment_orders"] = [order.order_id]
    session.save()
    return client


def test_an_unlinked_account_no_longer_sees_the_connections_orders_and_receipts(
    persona_client, customer, customer_user, cs_user
):
    from customers.services import customer_portal_unlink

    payment, order = online_payment(customer, invoice_for(customer, JAN, 47_300))
    OnlineOrder.objects.filter(pk=order.pk).update(created_by=customer_user)
    former = _remember(persona_client("customer"), order)
    pages = [
        url(payment),
        reverse("payments:receipt_pdf", args=[payment.receipt_number]),
        reverse("payments:order", args=[order.order_id]),
        reverse("payments:order_status", args=[order.order_id]),
    ]
    assert [former.get(page).status_code for page in pages] == [200, 200, 200, 200]
    customer_portal_unlink(customer=customer, actor=cs_user, reason="Rumah dijual")
    # Neither the session's remembered order nor having started it opens them any more.
    assert [former.get(page).status_code for page in pages] == [404, 404, 404, 404]
    # The staff still see them; the anonymous browser that paid still sees its order, masked.
    assert persona_client("cashier").get(url(payment)).status_code == 200
    anonymous = _remember(english(Client()), order)
    assert anonymous.get(reverse("payments:order", args=[order.order_id])).status_code == 200
    receipt = anonymous.get(url(payment)).content.decode()
    assert "B*** S******" in receipt and customer.name not in receipt


def test_a_signed_in_visitor_who_paid_someone_elses_bill_still_sees_that_order_masked(
    persona_client, customer, other_customer_user
):
    payment, order = online_payment(customer, invoice_for(customer, JAN, 47_300))
    OnlineOrder.objects.filter(pk=order.pk).update(created_by=other_customer_user)
    payer = english(_remember(persona_client("other_customer"), order))
    assert payer.get(reverse("payments:order", args=[order.order_id])).status_code == 200
    receipt = payer.get(url(payment)).content.decode()
    assert "B*** S******" in receipt and customer.name not in receipt
