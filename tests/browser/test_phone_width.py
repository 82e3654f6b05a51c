"""Reading entry and the cashier desk on a phone (390 px wide) and at a desk (1280 px).

Nothing may be scrolled off-screen sideways or cut: the page is no wider than the screen, and
each customer's name, the stand field and every amount lie inside the viewport. Set
SCREENSHOT_DIR to keep a PNG of each page (to look at, not compared).
"""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone

from meters import services
from tests.browser.conftest import _csp_violation, login
from tests.conftest import PASSWORD
from tests.customers.factories import CustomerFactory, RouteFactory
from tests.payments.factories import invoice_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
# The longest names and addresses a registry holds, with no space to break at in the middle.
LONG_NAME = "Hj. Siti Nurhayati Kusumawardhani binti Abdurrahman Wahid"
LONG_ADDRESS = "Jl. Perintis Kemerdekaan VII/Kompleks-Perumahan-Griya-Tamalanrea-Indah Blok AA-17 No. 123"


def _open(browser, live_server, viewport):
    """A browser tab of the given size that records Content-Security-Policy refusals."""
    context = browser.new_context(base_url=live_server.url, locale="id-ID", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations: list[str] = []
    page.on("console", lambda message: _csp_violation(message.text, violations))
    return context, page, violations


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _assert_fits(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll} px wide on a {width} px screen"


# Scroll the element into view vertically only (a horizontal scroll would hide the very problem we
# look for), then measure it and find any box around it that scrolls or clips sideways.
_MEASURE = """el => {
  window.scrollTo(0, Math.max(0, el.getBoundingClientRect().top + window.scrollY - 100));
  const box = el.getBoundingClientRect();
  const clipped = [];
  for (let outer = el.parentElement; outer; outer = outer.parentElement) {
    const overflow = getComputedStyle(outer).overflowX;
    if (overflow !== "visible" && outer.scrollWidth > outer.clientWidth + 1) {
      clipped.push(outer.tagName + "." + outer.className);
    }
  }
  const cut = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
  return {left: box.left, right: box.right, width: box.width, clipped: clipped, cut: cut};
}"""


def _assert_inside(locator, width: int) -> None:
    """The element is shown whole, between the screen's left and right edges, in no box that
    scrolls or clips sideways."""
    assert locator.is_visible(), locator
    box = locator.evaluate(_MEASURE)
    assert box["width"] > 0, (locator, box)
    assert box["left"] >= 0 and box["right"] <= width + 0.5, (locator, box)
    assert not box["clipped"] and not box["cut"], (locator, box)


def _route(cs_user, count: int = 2):
    route = RouteFactory(code="07-001", name="Rute Pasar Sentral")
    customers = []
    for i in range(count):
        customer = CustomerFactory(
            route=route,
            route_sequence=i + 1,
            connected_on=datetime.date(2020, 1, 1),
            name=LONG_NAME if i == 0 else f"Ahmad {i}",
            address=LONG_ADDRESS,
        )
        services.meter_install(
            actor=cs_user,
            customer=customer,
            serial_number=f"SN-2020-{i:06d}",
            installed_on=datetime.date(2020, 1, 1),
            size="1/2",
            initial_stand=500,
        )
        customers.append(customer)
    return route, customers


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_route_entry_fits_the_screen(browser, live_server, cs_user, viewport):
    route, customers = _route(cs_user)
    context, page, violations = _open(browser, live_server, viewport)
    try:
        login(page, cs_user.username, PASSWORD)
        page.goto(f"/meters/entry/?route={route.pk}&period={timezone.localdate():%Y-%m}")
        _assert_fits(page, viewport["width"])
        row = page.locator(f"tr[data-number='{customers[0].number}']")
        _assert_inside(row.get_by_text(LONG_NAME), viewport["width"])
        stand = page.get_by_label(f"Stand {customers[0].number}")
        _assert_inside(stand, viewport["width"])
        _assert_inside(page.get_by_label(f"Kelainan {customers[0].number}"), viewport["width"])

        stand.fill("518")
        stand.press("Enter")
        usage = row.locator(".usage", has_text="18")
        usage.wait_for()
        _assert_inside(usage, viewport["width"])
        _assert_inside(row.locator(".result"), viewport["width"])
        _assert_fits(page, viewport["width"])
        _screenshot(page, f"route-entry-{viewport['width']}")
    finally:
        context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_single_reading_fits_the_screen(browser, live_server, cs_user, viewport):
    _route_obj, customers = _route(cs_user, count=1)
    context, page, violations = _open(browser, live_server, viewport)
    try:
        login(page, cs_user.username, PASSWORD)
        page.goto(f"/meters/customer/{customers[0].number}/reading/")
        _assert_fits(page, viewport["width"])
        _assert_inside(page.get_by_text(LONG_NAME), viewport["width"])
        _assert_inside(page.locator("#id_stand"), viewport["width"])
        _screenshot(page, f"reading-single-{viewport['width']}")
    finally:
        context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_cashier_desk_and_receipt_fit_the_screen(browser, live_server, cashier_user, viewport):
    customer = CustomerFactory(name=LONG_NAME, address=LONG_ADDRESS)
    invoice_for(customer, datetime.date(2026, 1, 1), 1_247_300)
    invoice_for(customer, datetime.date(2026, 2, 1), 1_052_100)
    context, page, violations = _open(browser, live_server, viewport)
    width = viewport["width"]
    try:
        login(page, cashier_user.username, PASSWORD)
        page.goto("/payments/shift/")
        page.fill("#id_opening_float", "200.000")
        page.click("#shift-open button")
        page.wait_for_url("**/payments/desk/")
        _assert_fits(page, width)
        _assert_inside(page.locator("#id_q"), width)
        _screenshot(page, f"desk-lookup-{width}")

        page.fill("#id_q", customer.number)
        page.press("#id_q", "Enter")
        page.locator("#desk-customer-number", has_text=customer.number).wait_for()
        _assert_fits(page, width)
        _assert_inside(page.locator("#desk-customer-name"), width)
        for amount in ("Rp 1.247.300", "Rp 1.052.100", "Rp 2.299.400"):
            _assert_inside(page.locator("#desk-invoices").get_by_text(amount, exact=True), width)
        for box in page.locator("input.desk-invoice").all():
            _assert_inside(box, width)
        page.fill("#id_tendered", "2.500.000")
        page.locator("#desk-change", has_text="Rp 200.600").wait_for()
        for element in ("#desk-due", "#desk-change", "#id_tendered", "#desk-confirm"):
            _assert_inside(page.locator(element), width)
        _screenshot(page, f"desk-payment-{width}")

        page.click("#desk-confirm")
        page.wait_for_url("**/payments/receipts/KAS-00000001/")
        _assert_fits(page, width)
        for element in ("#receipt-total", "#receipt-change", "#receipt-number", "#receipt-customer-name"):
            _assert_inside(page.locator(element), width)
        assert page.locator("#receipt-total").inner_text() == "Rp 2.299.400"
        _screenshot(page, f"receipt-{width}")
    finally:
        context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"
