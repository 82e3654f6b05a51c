"""Demo meters and readings: counts, the rare cases, and every reading as the rules decide it."""

import datetime
import io
from collections import Counter

import pytest
import time_machine
from django.db import connection

from customers.demo import seed_registry
from customers.models import Customer, CustomerStatus
from meters import demo
from meters.demo import seed_meters
from meters.models import Meter, MeterSize, Period, PeriodState, Reading, ReadingMethod
from meters.rules import evaluate_reading
from meters.selectors import month_add, reading_facts_for, thresholds

pytestmark = pytest.mark.django_db

needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (COPY)")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 3, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def seeded():
    seed_registry(customers=300, seed=2026)
    return seed_meters()


def test_every_connection_gets_a_meter_and_the_readable_ones_a_year(seeded):
    customers = Customer.objects.count()
    readable = Customer.objects.filter(status__in=[CustomerStatus.ACTIVE, CustomerStatus.SEALED])
    gone = Customer.objects.filter(status__in=[CustomerStatus.DISCONNECTED, CustomerStatus.CLOSED])

    assert seeded == Reading.objects.count() > 0
    # One meter each, and one connection whose meter was replaced.
    assert Meter.objects.count() == customers + 1
    assert Meter.objects.filter(removed_on__isnull=True).count() == customers - gone.count()
    assert not Meter.objects.filter(customer__in=gone, removed_on__isnull=True).exists()
    assert Meter.objects.filter(serial_number__startswith="MTR-").count() == customers + 1

    months = list(Period.objects.order_by("month").values_list("month", "state"))
    # The twelve months before November 2026.
    assert [m for m, _s in months] == [month_add(datetime.date(2025, 11, 1), i) for i in range(12)]
    assert {s for _m, s in months} == {PeriodState.OPEN}

    assert not Reading.objects.filter(customer__in=gone).exists()
    per_customer = Counter(Reading.objects.values_list("customer_id", flat=True))
    long_standing = readable.filter(connected_on__lt=datetime.date(2025, 10, 1)).values_list("id", flat=True)
    assert {per_customer[pk] for pk in long_standing} == {12}
    assert set(per_customer) <= set(readable.values_list("id", flat=True))


def test_household_and_business_meters(seeded):
    household = Meter.objects.filter(customer__tariff_class__code__in=["2A", "2B", "2C"])
    assert set(household.values_list("size", "digits")) == {(MeterSize.HALF, 5)}
    industry = Meter.objects.filter(customer__tariff_class__code="3B")
    assert {digits for _size, digits in industry.values_list("size", "digits")} <= {6}
    assert set(Meter.objects.values_list("brand", flat=True)) <= {"Barindo", "Linflow", "Itron", "Amico"}
    for meter in Meter.objects.filter(serial_number__regex=r"^MTR-\d+$").select_related("customer")[:50]:
        assert meter.serial_number == f"MTR-{meter.customer.number}"
        assert meter.installed_on == meter.customer.connected_on

    usage = [
        r.monthly_usage_m3 for r in Reading.objects.filter(estimated=False, customer__tariff_class__code="2B")
    ]
    usage.sort()
    assert 10 <= usage[len(usage) // 2] <= 30  # a household's median month


def test_one_replacement_and_one_rollover(seeded):
    (customer_id,) = {m.customer_id for m in Meter.objects.filter(serial_number__endswith="-B")}
    old, new = Meter.objects.filter(customer_id=customer_id).order_by("installed_on", "id")
    assert (old.removed_on, new.installed_on, new.initial_stand) == (new.installed_on, old.removed_on, 0)
    readings = list(Reading.objects.filter(customer_id=customer_id).order_by("period__month"))
    swap = next(r for r in readings if r.meter_id == new.pk)
    before = readings[readings.index(swap) - 1]
    assert before.meter_id == old.pk
    assert swap.replaced_meter_usage_m3 == old.final_stand - before.stand > 0
    assert swap.usage_m3 == swap.stand + swap.replaced_meter_usage_m3
    assert swap.previous_stand == 0

    rollover = Reading.objects.get(rollover=True)
    assert rollover.meter.digits == 5
    assert rollover.stand < rollover.previous_stand
    assert rollover.usage_m3 == 100_000 - rollover.previous_stand + rollover.stand


def test_estimated_months_then_an_actual_reading(seeded):
    estimates = Reading.objects.filter(estimated=True)
    assert estimates.exists()
    assert set(estimates.values_list("method", flat=True)) == {ReadingMethod.ESTIMATE}
    assert set(estimates.values_list("stand", flat=True)) == {None}
    catch_up = Reading.objects.filter(estimated=False, months_covered=3).first()
    assert catch_up is not None
    earlier = Reading.objects.filter(customer=catch_up.customer, period__month__lt=catch_up.period.month)
    assert [r.estimated for r in earlier.order_by("-period__month")[:3]] == [True, True, False]


def test_every_reading_is_what_the_rules_decide_from_the_stored_facts(seeded):
    """Each reading equals `evaluate_reading` on the facts `reading_facts_for` finds before it."""
    replaced = set(
        Meter.objects.filter(removed_on__isnull=False, final_stand__gt=0).values_list(
            "customer_id", flat=True
        )
    )
    limits = thresholds()
    checked = 0
    for period in Period.objects.order_by("month"):
        readings = list(Reading.objects.filter(period=period))
        facts = reading_facts_for(customer_ids=[r.customer_id for r in readings], period=period)
        for reading in readings:
            customer_facts = facts[reading.customer_id]
            if reading.customer_id in replaced and reading.meter_id != customer_facts.meter.pk:
                continue  # before the swap: today's facts know only the new meter
            evaluation = evaluate_reading(
                facts=customer_facts.facts,
                stand=reading.stand if not reading.estimated else None,
                anomaly=reading.anomaly,
                thresholds=limits,
            )
            expected = (
                evaluation.usage_m3,
                list(evaluation.flags),
                evaluation.status,
                evaluation.rollover,
                customer_facts.facts.previous_stand,
                1 if evaluation.estimated else customer_facts.facts.months_covered,
                customer_facts.facts.replaced_meter_usage_m3,
            )
            got = (
                reading.usage_m3,
                reading.flags,
                reading.status,
                reading.rollover,
                reading.previous_stand,
                reading.months_covered,
                reading.replaced_meter_usage_m3,
            )
            assert got == expected, reading
            checked += 1
    assert checked > 3000
    assert Reading.objects.filter(status="flagged").count() < Reading.objects.count() * 0.05


def test_seeding_twice_changes_nothing(seeded):
    counts = (Meter.objects.count(), Reading.objects.count(), Period.objects.count())
    assert seed_meters() == 0
    assert (Meter.objects.count(), Reading.objects.count(), Period.objects.count()) == counts


def test_large_registries_get_meters_but_readings_for_the_first_customers_only(monkeypatch):
    monkeypatch.setattr(demo, "READINGS_CUSTOMER_LIMIT", 40)
    seed_registry(customers=120, seed=7)
    out = io.StringIO()
    seed_meters(stdout=out)
    assert Meter.objects.filter(removed_on__isnull=True).count() >= 100
    assert Reading.objects.values("customer_id").distinct().count() == 40
    assert "first 40 readable customers" in out.getvalue()


@needs_postgres
def test_copy_path_on_postgres():
    seed_registry(customers=6000, seed=2026)
    created = seed_meters()
    assert Meter.objects.count() == 6001
    assert created == Reading.objects.count() > 60_000
    sample = Reading.objects.exclude(flags=[]).first()
    assert isinstance(sample.flags, list)
    assert Reading.objects.filter(rollover=True).count() == 1
