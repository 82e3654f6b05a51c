"""The cashier at the counter, in Chromium: open the shift, look the customer up by number, take
cash for two months, see the change, open the receipt."""

import datetime

import pytest

from payments.models import Payment
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.payments.factories import invoice_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cashier_takes_cash_for_two_months(page, cashier_user, customer):
    invoice_for(customer, datetime.date(2026, 1, 1), 47_300)
    invoice_for(customer, datetime.date(2026, 2, 1), 52_100)
    invoice_for(customer, datetime.date(2026, 3, 1), 38_900)

    login(page, cashier_user.username, PASSWORD)
    page.goto("/payments/shift/")
    page.fill("#id_opening_float", "200.000")
    page.click("#shift-open button")
    page.wait_for_url("**/payments/desk/")

    lookup = page.locator("#id_q")
    assert lookup.evaluate("el => el === document.activeElement")
    page.keyboard.type(customer.number)
    page.keyboard.press("Enter")
    page.locator("#desk-customer-number", has_text=customer.number).wait_for()

    # The cursor waits in the cash field; every month is ticked, oldest first.
    tendered = page.locator("#id_tendered")
    assert tendered.evaluate("el => el === document.activeElement")
    boxes = page.locator("input.desk-invoice")
    ticked = lambda: [boxes.nth(i).is_checked() for i in range(boxes.count())]  # noqa: E731
    assert ticked() == [True, True, True]
    # Unticking January unticks the newer months; ticking March ticks the older ones: a later
    # month is never paid before an earlier one.
    boxes.nth(0).uncheck()
    assert ticked() == [False, False, False]
    boxes.nth(2).check()
    assert ticked() == [True, True, True]
    # Two months: untick March.
    boxes.nth(2).uncheck()
    assert ticked() == [True, True, False]
    page.locator("#desk-due", has_text="Rp 99.400").wait_for()

    tendered.fill("100000")
    page.locator("#desk-change", has_text="Rp 600").wait_for()

    page.click("#desk-confirm")
    page.wait_for_url("**/payments/receipts/KAS-00000001/")
    assert page.locator("#receipt-number").inner_text() == "KAS-00000001"
    assert page.locator("#receipt-total").inner_text() == "Rp 99.400"
    assert page.locator("#receipt-change").inner_text() == "Rp 600"
    payment = Payment.objects.get()
    assert (payment.amount, payment.tendered, payment.change) == (99_400, 100_000, 600)
    assert payment.allocations.count() == 2
