import pytest

from customers import selectors
from customers.models import CustomerStatus
from tests.customers.factories import CustomerFactory, RouteFactory, TariffClassFactory, ZoneFactory

pytestmark = pytest.mark.django_db


def test_search_by_number_is_exact():
    target = CustomerFactory(number="0100000123")
    CustomerFactory(number="0100001230")
    assert list(selectors.customer_search(query=" 0100000123 ")) == [target]
    assert list(selectors.customer_search(query="010000012")) == []


def test_search_by_name_or_address_ignores_case_and_extra_spaces():
    siti = CustomerFactory(name="Siti Nurhayati", address="Jl. Kakatua No. 3")
    on_street = CustomerFactory(name="Andi Lamba", address="Jl. Siti   Rahmah 9")
    CustomerFactory(name="Joko", address="Jl. Veteran 1")
    assert set(selectors.customer_search(query="siti")) == {siti, on_street}
    assert list(selectors.customer_search(query="KAKATUA")) == [siti]
    assert list(selectors.customer_search(query="nurhayati   ")) == [siti]


def test_search_needs_three_letters_and_is_limited():
    for i in range(5):
        CustomerFactory(name=f"Rahmat {i}")
    assert list(selectors.customer_search(query="ra")) == []
    assert list(selectors.customer_search(query="")) == []
    assert len(selectors.customer_search(query="rahmat", limit=3)) == 3


def test_registry_overview_counts_by_zone_status_and_class():
    zone_a, zone_b = ZoneFactory(code="11"), ZoneFactory(code="12")
    business = TariffClassFactory(code="3A", name="Niaga Besar")
    CustomerFactory.create_batch(3, route=RouteFactory(zone=zone_a))
    CustomerFactory(route=RouteFactory(zone=zone_a), status=CustomerStatus.SEALED)
    CustomerFactory(route=RouteFactory(zone=zone_b), tariff_class=business)
    CustomerFactory(route=RouteFactory(zone=zone_b), tariff_class=business, status=CustomerStatus.CLOSED)

    overview = selectors.registry_overview()

    rows = {row["zone"].code: row for row in overview["by_zone"]}
    assert rows["11"]["counts"] == {"active": 3, "sealed": 1, "disconnected": 0, "closed": 0}
    assert rows["12"]["total"] == 2
    assert overview["total"] == 6
    assert {tc.code: n for tc, n in overview["by_class"]} == {"2B": 3, "3A": 1}
