import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from customers import services
from customers.codes import ALPHABET, LENGTH, registration_code_matches
from customers.models import Customer, CustomerStatus, CustomerStatusChange
from pdam.models import AuditEntry
from tests.customers.factories import CustomerFactory, RouteFactory, TariffClassFactory, ZoneFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def _create(cs_user, route, **overrides):
    fields = {
        "actor": cs_user,
        "name": "  Andi Saputra ",
        "address": "Jl. Veteran No. 7",
        "route": route,
        "route_sequence": 30,
        "tariff_class": TariffClassFactory(),
        "connected_on": datetime.date(2026, 11, 1),
        "phone": "081234567890",
    }
    return services.customer_create(**{**fields, **overrides})


def test_create_numbers_customers_per_zone_and_audits(cs_user):
    zone_a, zone_b = ZoneFactory(code="01"), ZoneFactory(code="02")
    route_a, route_b = RouteFactory(zone=zone_a), RouteFactory(zone=zone_b)
    CustomerFactory(number="0100000041", route=route_a)

    first = _create(cs_user, route_a)
    second = _create(cs_user, route_a)
    other_zone = _create(cs_user, route_b)

    assert [first.number, second.number, other_zone.number] == ["0100000042", "0100000043", "0200000001"]
    assert first.name == "Andi Saputra"
    assert first.status == CustomerStatus.ACTIVE
    entry = AuditEntry.objects.get(object_id=str(first.pk), action="customer.create")
    assert entry.actor == cs_user
    assert entry.changes["number"] == [None, "0100000042"]
    assert entry.changes["name"] == [None, "Andi Saputra"]


def test_create_refuses_future_connection_date_and_writes_nothing(cs_user):
    route = RouteFactory()
    with pytest.raises(ValidationError) as error:
        _create(cs_user, route, connected_on=datetime.date(2026, 11, 26))
    assert "connected_on" in error.value.error_dict
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("connected_on", [datetime.date(1969, 12, 31), datetime.date(202, 11, 25)])
def test_create_refuses_connection_date_before_the_founding_year_and_writes_nothing(cs_user, connected_on):
    with pytest.raises(ValidationError) as error:
        _create(cs_user, RouteFactory(), connected_on=connected_on)
    assert "connected_on" in error.value.error_dict
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.exists()


def test_founding_year_is_a_setting(cs_user, settings):
    settings.UTILITY_FOUNDED_YEAR = 1990
    with pytest.raises(ValidationError):
        _create(cs_user, RouteFactory(), connected_on=datetime.date(1989, 6, 1))
    assert _create(cs_user, RouteFactory(), connected_on=datetime.date(1990, 1, 1)).connected_on.year == 1990


def test_create_refuses_invalid_email_and_writes_nothing(cs_user):
    with pytest.raises(ValidationError) as error:
        _create(cs_user, RouteFactory(), email="not-an-email")
    assert "email" in error.value.error_dict
    assert not Customer.objects.exists()


def test_update_records_each_changed_field_with_reason(cs_user):
    customer = CustomerFactory(name="Budi", address="Jl. Lama 1", phone="")
    new_route = RouteFactory(code="R-NEW")

    services.customer_update(
        actor=cs_user,
        customer=customer,
        reason="Pindah alamat",
        name="Budi",
        address="Jl. Baru 2",
        route=new_route,
        phone="0811",
    )

    customer.refresh_from_db()
    assert customer.address == "Jl. Baru 2"
    assert customer.route == new_route
    entry = AuditEntry.objects.get(action="customer.update")
    assert entry.reason == "Pindah alamat"
    assert entry.changes["address"] == ["Jl. Lama 1", "Jl. Baru 2"]
    assert entry.changes["phone"] == ["", "0811"]
    assert entry.changes["route"][1] == str(new_route)
    assert "name" not in entry.changes


def test_update_without_change_writes_no_audit(cs_user):
    customer = CustomerFactory(name="Budi")
    services.customer_update(actor=cs_user, customer=customer, reason="cek", name="Budi")
    assert not AuditEntry.objects.exists()


def test_update_requires_a_reason(cs_user):
    customer = CustomerFactory(name="Budi")
    with pytest.raises(ValidationError):
        services.customer_update(actor=cs_user, customer=customer, reason="  ", name="Budiman")
    customer.refresh_from_db()
    assert customer.name == "Budi"


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (CustomerStatus.ACTIVE, CustomerStatus.SEALED, True),
        (CustomerStatus.SEALED, CustomerStatus.ACTIVE, True),
        (CustomerStatus.SEALED, CustomerStatus.DISCONNECTED, True),
        (CustomerStatus.DISCONNECTED, CustomerStatus.ACTIVE, True),
        (CustomerStatus.DISCONNECTED, CustomerStatus.SEALED, False),
        (CustomerStatus.ACTIVE, CustomerStatus.CLOSED, True),
        (CustomerStatus.CLOSED, CustomerStatus.ACTIVE, False),
        (CustomerStatus.ACTIVE, CustomerStatus.ACTIVE, False),
    ],
)
def test_status_transitions(cs_user, start, to, allowed):
    customer = CustomerFactory(status=start)
    call = lambda: services.customer_change_status(  # noqa: E731
        actor=cs_user, customer=customer, to_status=to, effective_on=TODAY, reason="Tunggakan 3 bulan"
    )
    if allowed:
        change = call()
        customer.refresh_from_db()
        assert customer.status == to
        assert (change.from_status, change.to_status, change.changed_by) == (start, to, cs_user)
        assert AuditEntry.objects.get(action="customer.status").changes["status"] == [start, to]
    else:
        with pytest.raises(ValidationError):
            call()
        customer.refresh_from_db()
        assert customer.status == start
        assert not CustomerStatusChange.objects.exists()
        assert not AuditEntry.objects.exists()


def test_status_change_dates_must_not_go_backwards_or_into_the_future(cs_user):
    customer = CustomerFactory(connected_on=datetime.date(2020, 1, 1))
    services.customer_change_status(
        actor=cs_user,
        customer=customer,
        to_status=CustomerStatus.SEALED,
        effective_on=datetime.date(2026, 10, 1),
        reason="Segel",
    )
    with pytest.raises(ValidationError) as before:
        services.customer_change_status(
            actor=cs_user,
            customer=customer,
            to_status=CustomerStatus.ACTIVE,
            effective_on=datetime.date(2026, 9, 30),
            reason="Buka segel",
        )
    assert "effective_on" in before.value.error_dict
    with pytest.raises(ValidationError) as future:
        services.customer_change_status(
            actor=cs_user,
            customer=customer,
            to_status=CustomerStatus.ACTIVE,
            effective_on=datetime.date(2026, 11, 26),
            reason="Buka segel",
        )
    assert "effective_on" in future.value.error_dict
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.SEALED
    assert CustomerStatusChange.objects.count() == 1


def test_status_change_requires_reason(cs_user):
    customer = CustomerFactory()
    with pytest.raises(ValidationError):
        services.customer_change_status(
            actor=cs_user, customer=customer, to_status=CustomerStatus.SEALED, effective_on=TODAY, reason=" "
        )
    assert not CustomerStatusChange.objects.exists()


def test_every_new_customer_gets_its_own_registration_code():
    codes = {CustomerFactory().registration_code for _ in range(5)}
    assert len(codes) == 5
    for code in codes:
        assert len(code) == LENGTH and set(code) <= set(ALPHABET)


def test_rotating_the_registration_code_kills_the_old_one_and_is_audited(admin_user):
    customer = CustomerFactory()
    old = customer.registration_code
    with pytest.raises(ValidationError):
        services.registration_code_rotate(customer=customer, actor=admin_user, reason=" ")
    customer.refresh_from_db()
    assert customer.registration_code == old
    services.registration_code_rotate(customer=customer, actor=admin_user, reason="bill seen by a neighbour")
    customer.refresh_from_db()
    assert customer.registration_code != old
    assert not registration_code_matches(customer.registration_code, old)
    entry = AuditEntry.objects.get(action="customer.registration_code_rotate", object_id=str(customer.pk))
    assert entry.actor == admin_user
    assert entry.reason == "bill seen by a neighbour"
    assert old not in str(entry.changes)
