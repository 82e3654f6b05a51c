"""The public bill check on the home page: masked, limited, and payable oldest first."""

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache
from django.urls import include, path, reverse

from billing.models import InvoiceStatus
from customers.models import CustomerStatus
from payments.models import Channel, Payment, PaymentAllocation
from payments.views.public import home
from tests.payments.factories import invoice_for

# The front page is `payments.views.public.home`; until pdam/urls.py points "" at it, these tests
# mount it themselves (harmless afterwards).
urlpatterns = [path("", home, name="home"), path("", include("pdam.urls"))]
pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

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


def paid(invoice, receipt: str) -> Payment:
    """Settle `invoice` with a payment from credit (the channel that needs no shift or order)."""
    payment = Payment.objects.create(
        receipt_number=receipt,
        channel=Channel.CREDIT,
        customer=invoice.customer,
        amount=0,
        credit_used=invoice.total,
        business_date=datetime.date(2026, 9, 1),
    )
    PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=invoice.total)
    return payment


@pytest.fixture
def bills(customer):
    """July paid; August, September (overdue) and October (due on the 20th) outstanding."""
    july = invoice_for(customer, datetime.date(2026, 7, 1), 41_000)
    paid(july, "KRD-00000001")
    return [
        invoice_for(customer, datetime.date(2026, 8, 1), 47_300),
        invoice_for(customer, datetime.date(2026, 9, 1), 52_000),
        invoice_for(customer, datetime.date(2026, 10, 1), 38_500),
    ]


def check(client, number, **extra):
    return client.get(reverse("home"), {"nomor": number}, **extra)


def test_bill_check_shows_masked_name_area_and_outstanding_oldest_first(anon, customer, bills):
    response = check(anon, customer.number)
    assert response.status_code == 200
    page = response.content.decode()
    assert "B*** S******" in page
    assert customer.route.zone.name in page
    assert "Budi Santoso" not in page and "Santoso" not in page
    assert customer.address not in page
    assert page.index("August 2026") < page.index("September 2026") < page.index("October 2026")
    assert "July 2026" not in page  # paid
    assert "Rp 137.800" in page  # 47.300 + 52.000 + 38.500
    # August and September are past their due date (the 20th); October is not.
    assert page.count(">Overdue<") == 2
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]


def test_pay_form_lists_the_outstanding_invoices_and_posts_to_pay(anon, customer, bills):
    page = check(anon, customer.number).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    assert form[1] == reverse("payments:pay")
    assert re.findall(r'name="invoice" value="(\d+)"', form[2]) == [str(i.pk) for i in bills]
    assert f'name="number" value="{customer.number}"' in form[2]
    assert f'name="next" value="/?nomor={customer.number}"' in form[2]


def test_nomor_from_the_bill_qr_code_fills_the_form_and_checks(anon, customer, bills):
    page = anon.get(f"/?nomor={customer.number}").content.decode()
    assert f'value="{customer.number}"' in page
    assert "B*** S******" in page


def test_typed_spaces_and_dashes_are_ignored(anon, customer, bills):
    spaced = f"{customer.number[:2]} {customer.number[2:6]}-{customer.number[6:]}"
    assert "B*** S******" in check(anon, spaced).content.decode()


def test_home_without_a_number_checks_nothing(anon, customer, bills):
    page = anon.get(reverse("home")).content.decode()
    assert 'id="bill-check-form"' in page
    assert "bill-check-result" not in page


def test_unknown_number_says_so_in_the_same_place(anon, customer, bills):
    response = check(anon, "0000000001")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="bill-check-unknown"' in page
    assert "We found no connection with this customer number" in page
    assert 'name="invoice"' not in page


def test_malformed_number_is_a_form_error(anon):
    page = check(anon, "12ab").content.decode()
    assert "A customer number has 6 to 12 digits" in page
    assert "bill-check-result" not in page


def test_no_outstanding_bills(anon, customer):
    paid(invoice_for(customer, datetime.date(2026, 9, 1), 47_300), "KRD-00000009")
    page = check(anon, customer.number).content.decode()
    assert "No outstanding bills" in page
    assert 'name="invoice"' not in page


def test_cancelled_invoice_is_not_outstanding(anon, customer, bills):
    bills[0].status = InvoiceStatus.CANCELLED
    bills[0].save()
    page = check(anon, customer.number).content.decode()
    assert "August 2026" not in page
    assert "Rp 90.500" in page


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (CustomerStatus.SEALED, "temporarily disconnected (sealed)"),
        (CustomerStatus.DISCONNECTED, "disconnected (the meter was removed)"),
        (CustomerStatus.CLOSED, "This connection is closed."),
    ],
)
def test_disconnected_or_closed_connection_says_so(anon, customer, bills, status, message):
    customer.status = status
    customer.save()
    page = check(anon, customer.number).content.decode()
    assert message in page
    assert 'name="invoice"' in page  # arrears can still be paid


def test_only_the_looked_up_customer_shows(anon, customer, other_customer, bills):
    others = invoice_for(other_customer, datetime.date(2026, 9, 1), 99_900)
    page = check(anon, customer.number).content.decode()
    assert others.number not in page
    assert other_customer.number not in page
    assert "Rp 99.900" not in page


def test_rate_limit_answers_429_past_the_limit_found_or_not(anon, customer, bills, settings):
    settings.BILL_CHECK_LIMIT = 3
    settings.BILL_CHECK_WINDOW_SECONDS = 600
    assert check(anon, customer.number).status_code == 200
    assert check(anon, "0000000001").status_code == 200  # an unknown number counts too
    assert check(anon, "12ab").status_code == 200  # and a malformed one
    response = check(anon, customer.number)
    assert response.status_code == 429
    assert int(response["Retry-After"]) <= 600
    page = response.content.decode()
    assert "Too many bill checks" in page
    assert "B*** S******" not in page
    # Another address is not affected.
    assert check(anon, customer.number, REMOTE_ADDR="10.1.2.3").status_code == 200
    # The front page itself still opens.
    assert anon.get(reverse("home")).status_code == 200


def test_rate_limit_window_ends(anon, customer, bills, settings):
    settings.BILL_CHECK_LIMIT = 1
    settings.BILL_CHECK_WINDOW_SECONDS = 600
    assert check(anon, customer.number).status_code == 200
    assert check(anon, customer.number).status_code == 429
    with time_machine.travel(TODAY + datetime.timedelta(minutes=11), tick=False):
        assert check(anon, customer.number).status_code == 200


def test_rate_limit_default_is_set_in_code(anon, customer, settings):
    for _ in range(20):
        assert check(anon, customer.number).status_code == 200
    assert check(anon, customer.number).status_code == 429


def test_bill_check_query_count_does_not_grow_with_invoices(anon, customer, django_assert_max_num_queries):
    for month in range(1, 13):
        invoice_for(customer, datetime.date(2025, month, 1), 40_000 + month)
    # + 3 for the denda of the overdue invoices (arrears' surcharge: invoices, rules, fees).
    with django_assert_max_num_queries(7):
        page = check(anon, customer.number).content.decode()
    assert page.count('name="invoice"') == 12


def test_logged_in_customer_sees_a_link_to_my_bills(persona_client, customer):
    page = persona_client("customer").get(reverse("home")).content.decode()
    assert reverse("payments:my_bills") in page


def test_invoice_with_a_live_online_order_is_marked_in_progress(anon, customer, bills):
    from payments.models import OnlineOrder, OrderInvoice

    order = OnlineOrder.objects.create(
        order_id="PDAM-TEST-1",
        customer=customer,
        gross_amount=47_300,
        invoice_key=str(bills[0].pk),
        expires_at=TODAY + datetime.timedelta(days=1),
    )
    OrderInvoice.objects.create(order=order, invoice=bills[0], amount=47_300)
    page = check(anon, customer.number).content.decode()
    assert page.count("Payment in progress") == 1
    assert "PDAM-TEST-1" not in page
