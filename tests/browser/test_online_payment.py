"""A customer checks a bill on the home page, pays it through the Midtrans simulator, sees it
paid and opens the receipt: the whole online flow in Debian's Chromium."""

import datetime

import pytest

from payments.models import OnlineOrder, OrderState, Payment
from tests.customers.factories import CustomerFactory
from tests.payments.factories import invoice_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _portal_talks_to_the_simulator(live_server, settings):
    settings.MIDTRANS_SIMULATOR_URL = f"{live_server.url}/midtrans-sim"


def test_bill_check_pay_through_the_simulator_then_the_receipt(page):
    customer = CustomerFactory(name="Budi Santoso")
    invoice_for(customer, datetime.date(2026, 9, 1), 47_300)
    invoice_for(customer, datetime.date(2026, 10, 1), 52_100)

    page.goto(f"/?nomor={customer.number}")
    assert "B*** S******" in page.content()
    assert "Budi Santoso" not in page.content()
    page.get_by_text("Rp 99.400").first.wait_for()
    page.locator(".js-pay-button").click()

    # The simulator's Snap page: pick a virtual account and settle.
    page.wait_for_url("**/midtrans-sim/snap/v2/vtweb/**")
    page.get_by_label("BCA Virtual Account").check()
    page.get_by_label("Pending, then settlement").check()
    page.get_by_role("button", name="Simulate").click()

    # Back on the portal's finish page, which asked the server for the true status.
    page.wait_for_url("**/payments/orders/**")
    order = OnlineOrder.objects.get()
    assert order.state == OrderState.PAID
    payment = Payment.objects.get(order=order)
    page.get_by_role("link", name=payment.receipt_number).click()
    page.wait_for_url(f"**/payments/receipts/{payment.receipt_number}/")
    receipt = page.content()
    assert payment.receipt_number in receipt
    assert "99.400" in receipt

    page.goto(f"/?nomor={customer.number}")
    assert "Rp 99.400" not in page.content()
