import datetime

import pytest
from django.utils import timezone

from meters import services
from meters.models import Reading, ReadingStatus
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.customers.factories import CustomerFactory, RouteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cs_enters_a_route_by_keyboard_and_sees_a_flagged_row(page, cs_user):
    route = RouteFactory(code="07-001", name="Rute Pasar")
    customers = []
    for i in range(3):
        customer = CustomerFactory(route=route, route_sequence=i + 1, connected_on=datetime.date(2020, 1, 1))
        services.meter_install(
            actor=cs_user,
            customer=customer,
            serial_number=f"B{i}",
            installed_on=datetime.date(2020, 1, 1),
            size="1/2",
            initial_stand=500,
        )
        customers.append(customer)
    month = timezone.localdate().strftime("%Y-%m")

    login(page, cs_user.username, PASSWORD)
    page.goto(f"/meters/entry/?route={route.pk}&period={month}")

    first = page.get_by_label(f"Stand {customers[0].number}")
    assert first.evaluate("el => el === document.activeElement")
    page.keyboard.type("518")
    page.keyboard.press("Enter")
    row1 = page.locator(f"tr[data-number='{customers[0].number}']")
    row1.locator("td.usage", has_text="18").wait_for()
    assert "table-success" in row1.get_attribute("class")

    # The cursor moved on by itself; the same stand again is zero usage and is held.
    second = page.get_by_label(f"Stand {customers[1].number}")
    second.wait_for()
    assert second.evaluate("el => el === document.activeElement")
    page.keyboard.type("500")
    page.keyboard.press("Enter")
    row2 = page.locator(f"tr[data-number='{customers[1].number}']")
    row2.locator("td.result", has_text="Pemakaian nol").wait_for()
    assert "table-warning" in row2.get_attribute("class")

    # A stand below the last one is refused on the row, and nothing is saved for it.
    page.keyboard.type("499")
    page.keyboard.press("Enter")
    row3 = page.locator(f"tr[data-number='{customers[2].number}']")
    row3.locator("td.result", has_text="lebih rendah").wait_for()
    assert "table-danger" in row3.get_attribute("class")

    statuses = dict(Reading.objects.values_list("customer__number", "status"))
    assert statuses == {customers[0].number: ReadingStatus.OK, customers[1].number: ReadingStatus.FLAGGED}
