"""Reads for meters and readings, shaped for the pages and for the reading rules."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from customers.models import Customer, CustomerStatus, Route
from meters.models import Meter, Period, PeriodState, Reading, ReadingStatus
from meters.rules import ReadingFacts, Thresholds

# How far back the facts look: three actual months even after a long run of estimates.
LOOKBACK_MONTHS = 12


def thresholds() -> Thresholds:
    return Thresholds(
        high_factor=settings.READING_HIGH_FACTOR,
        low_factor=settings.READING_LOW_FACTOR,
        fallback_estimate_m3=settings.READING_FALLBACK_ESTIMATE_M3,
    )


def month_add(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class CustomerFacts:
    """Reading facts of one customer for one period, or why there can be no reading."""

    meter: Meter | None
    facts: ReadingFacts | None
    last_stand: int | None
    average_m3: float | None


def reading_facts_for(*, customer_ids: list[int], period: Period) -> dict[int, CustomerFacts]:
    """The facts the rules need, for many customers at once (route entry and imports).

    Three queries whatever the number of customers: installed and removed meters, and the
    readings of the last twelve months before the period.
    """
    meters_by_customer: dict[int, list[Meter]] = defaultdict(list)
    for meter in Meter.objects.filter(customer_id__in=customer_ids).order_by("installed_on", "id"):
        meters_by_customer[meter.customer_id].append(meter)
    history: dict[int, list[tuple]] = defaultdict(list)
    rows = (
        Reading.objects.filter(
            customer_id__in=customer_ids,
            period__month__lt=period.month,
            period__month__gte=month_add(period.month, -LOOKBACK_MONTHS),
        )
        .order_by("customer_id", "-period__month")
        .values_list(
            "customer_id",
            "meter_id",
            "stand",
            "usage_m3",
            "months_covered",
            "estimated",
            "read_on",
            "period__month",
            "status",
        )
    )
    for customer_id, *row in rows:
        history[customer_id].append(tuple(row))

    limits = thresholds()
    result = {}
    for customer_id in customer_ids:
        meters = meters_by_customer.get(customer_id, [])
        installed = next((m for m in meters if m.removed_on is None), None)
        if installed is None:
            result[customer_id] = CustomerFacts(meter=None, facts=None, last_stand=None, average_m3=None)
            continue
        readings = history.get(customer_id, [])
        actual = [r for r in readings if not r[4]]  # newest first
        last_actual = actual[0] if actual else None
        if last_actual:
            # Every month since the last actual reading, estimated or not read at all.
            months_covered = (
                (period.month.year - last_actual[6].year) * 12 + period.month.month - last_actual[6].month
            )
        else:
            months_covered = 1 + sum(1 for r in readings if r[4])
        # The previous stand on the installed meter: its last actual stand, else its initial stand.
        if last_actual and last_actual[0] == installed.pk:
            previous_stand = last_actual[1]
        else:
            previous_stand = installed.initial_stand
        # Meters removed since the last actual reading measured usage that this reading must carry.
        since = last_actual[5] if last_actual else None
        replaced = 0
        for meter in meters:
            if meter.removed_on is None or (since and meter.removed_on < since):
                continue
            start = next((r[1] for r in actual if r[0] == meter.pk), meter.initial_stand)
            replaced += max(0, (meter.final_stand or 0) - start)
        # Estimates and the usual-usage average trust only billable actual readings: a stand held
        # for verification or sent back for re-read (an absurd import) must not raise them.
        trusted = [r for r in actual if r[7] == ReadingStatus.OK]
        monthly = tuple(round(r[2] / r[3]) for r in trusted[: limits.history_months])
        facts = ReadingFacts(
            previous_stand=previous_stand,
            max_stand=installed.max_stand,
            months_covered=months_covered,
            replaced_meter_usage_m3=replaced,
            history_m3=monthly,
        )
        average = sum(monthly) / len(monthly) if monthly else None
        result[customer_id] = CustomerFacts(
            meter=installed, facts=facts, last_stand=previous_stand, average_m3=average
        )
    return result


def readable_customers() -> QuerySet[Customer]:
    """Connections whose meter is read: active and sealed (a sealed meter still turns if tampered)."""
    return Customer.objects.filter(status__in=[CustomerStatus.ACTIVE, CustomerStatus.SEALED])


@dataclass(frozen=True)
class EntryRow:
    customer: Customer
    meter: Meter | None
    last_stand: int | None
    average_m3: float | None
    reading: Reading | None


def route_entry_rows(*, route: Route, period: Period) -> list[EntryRow]:
    """The route's reading sheet in walking order with last stand, average and this period's reading."""
    customers = list(
        readable_customers()
        .filter(route=route)
        .order_by("route_sequence", "number")
        .select_related("tariff_class")
    )
    ids = [c.pk for c in customers]
    facts = reading_facts_for(customer_ids=ids, period=period)
    readings = {
        r.customer_id: r for r in Reading.objects.filter(period__month=period.month, customer_id__in=ids)
    }
    return [
        EntryRow(
            customer=c,
            meter=facts[c.pk].meter,
            last_stand=facts[c.pk].last_stand,
            average_m3=facts[c.pk].average_m3,
            reading=readings.get(c.pk),
        )
        for c in customers
    ]


def verification_queue() -> QuerySet[Reading]:
    """The held readings a supervisor can still act on: flagged readings of connections still
    read, and, in closed periods, readings sent back for a re-read that can no longer happen.
    A reading of a closed period that is resolved is billed on the next invoice as a catch-up."""
    closed = Q(period__state=PeriodState.BILLED)
    return (
        Reading.objects.filter(customer__status__in=[CustomerStatus.ACTIVE, CustomerStatus.SEALED])
        .filter(Q(status=ReadingStatus.FLAGGED) | Q(status=ReadingStatus.REREAD) & closed)
        .select_related("customer__route", "customer__tariff_class", "period", "meter", "entered_by")
        .order_by("period__month", "customer__route__code", "customer__route_sequence")
    )


def customer_readings(*, customer: Customer, limit: int = 12) -> QuerySet[Reading]:
    return (
        Reading.objects.filter(customer=customer)
        .select_related("period", "meter", "entered_by", "verified_by")
        .order_by("-period__month")[:limit]
    )


def period_progress(*, period: Period) -> list[dict]:
    """Per route: customers to read, and how many are read, flagged, estimated or missing."""
    totals = {
        row["route_id"]: row["n"]
        for row in readable_customers().values("route_id").annotate(n=Count("id")).order_by()
    }
    counts = {
        row["customer__route_id"]: row
        for row in Reading.objects.filter(
            period__month=period.month, customer__status__in=[CustomerStatus.ACTIVE, CustomerStatus.SEALED]
        )
        .values("customer__route_id")
        .annotate(
            read=Count("id"),
            flagged=Count("id", filter=Q(status__in=[ReadingStatus.FLAGGED, ReadingStatus.REREAD])),
            estimated=Count("id", filter=Q(estimated=True)),
        )
        .order_by()
    }
    rows = []
    for route in Route.objects.select_related("zone").filter(pk__in=totals):
        c = counts.get(route.pk, {"read": 0, "flagged": 0, "estimated": 0})
        total = totals[route.pk]
        rows.append(
            {
                "route": route,
                "total": total,
                "read": c["read"],
                "flagged": c["flagged"],
                "estimated": c["estimated"],
                "missing": max(0, total - c["read"]),
                "percent": round(100 * c["read"] / total) if total else 100,
            }
        )
    return rows


def period_for_month(*, month: datetime.date) -> Period:
    """The period of a month, or an unsaved open one for a month nobody has used yet (reads never write)."""
    month = month.replace(day=1)
    return Period.objects.filter(month=month).first() or Period(month=month)


def periods_recent(limit: int = 13) -> QuerySet[Period]:
    return Period.objects.order_by("-month")[:limit]


def photo_content_type(head: bytes) -> str | None:
    """The content type of a stored reading photo from its first bytes (JPEG or PNG only)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None
