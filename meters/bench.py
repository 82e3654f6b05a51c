"""Benchmarks of meter readings, run by `make bench` after the demo utility is seeded."""

import csv
import datetime
import io
import random
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from meters.demo import METER_COLUMNS, bulk_insert
from meters.imports import reading_import_create, reading_import_run
from meters.models import Anomaly, Meter, MeterSize, Period
from meters.selectors import month_add, readable_customers, reading_facts_for
from meters.services import period_get_or_open

BENCH_ROWS = 100_000


def _ensure_meters(customers: list[tuple[int, str, object]]) -> int:
    """Meters for the chosen customers that have none (the registry may be seeded without)."""
    ids = [customer_id for customer_id, _number, _connected in customers]
    metered: set[int] = set()
    for start in range(0, len(ids), 10_000):
        metered.update(
            Meter.objects.filter(
                customer_id__in=ids[start : start + 10_000], removed_on__isnull=True
            ).values_list("customer_id", flat=True)
        )
    now = timezone.now()
    rows = [
        (customer_id, f"BENCH-{number}", "Barindo", MeterSize.HALF, 5, connected_on, 1000, None, None, now)
        for customer_id, number, connected_on in customers
        if customer_id not in metered
    ]
    with transaction.atomic():
        bulk_insert(Meter, METER_COLUMNS, rows, copy=connection.vendor == "postgresql")
    return len(rows)


def _csv(customers: list[tuple[int, str, object]], period) -> bytes:
    """This month's readings as the field team's spreadsheet gives them: semicolons, a BOM."""
    rng = random.Random(11)
    today = timezone.localdate()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["customer_number", "period", "stand", "read_date", "anomaly_code", "reader"])
    for start in range(0, len(customers), 5_000):
        chunk = customers[start : start + 5_000]
        facts = reading_facts_for(customer_ids=[c[0] for c in chunk], period=period)
        for customer_id, number, _connected in chunk:
            last = facts[customer_id].last_stand or 0
            if rng.random() < 0.02:
                writer.writerow([number, f"{period}", "", today.isoformat(), Anomaly.LOCKED, "Amir"])
            else:
                stand = (last + rng.randint(8, 35)) % 10 ** facts[customer_id].meter.digits
                writer.writerow([number, f"{period}", stand, today.isoformat(), "", "Amir"])
    return ("\ufeff" + buffer.getvalue()).encode()


def _next_unread_month() -> datetime.date:
    """The month after the latest one with readings (the demo reads the year before this month),
    as long as today can still be its reading date; else this month."""
    current = timezone.localdate().replace(day=1)
    latest = (
        Period.objects.filter(readings__isnull=False)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    candidate = month_add(latest, 1) if latest else current
    return candidate if current <= candidate <= month_add(current, 1) else current


def bench_reading_import(*, emit, rows: int = BENCH_ROWS) -> None:
    """Import a CSV of up to 100,000 readings (this month, customers not read yet) through the
    real import service, in process, and time it. Target: 100,000 rows in 30 s or less."""
    period = period_get_or_open(month=_next_unread_month())
    customers = list(
        readable_customers()
        .exclude(readings__period__month__gte=period.month)
        .order_by("id")
        .values_list("id", "number", "connected_on")[:rows]
    )
    emit("reading_import_meters_created", _ensure_meters(customers))
    data = _csv(customers, period)
    upload = SimpleUploadedFile("bench.csv", data, content_type="text/csv")

    started = time.perf_counter()
    created = reading_import_create(actor=None, upload=upload, queue=False)
    result = reading_import_run(import_id=created.pk)
    seconds = time.perf_counter() - started

    emit("reading_import_rows", result.total_rows)
    emit("reading_import_saved", result.saved_rows)
    emit("reading_import_refused", result.error_rows)
    emit("reading_import_seconds", f"{seconds:.1f}")
    emit("reading_import_rows_per_second", round(result.total_rows / seconds) if seconds else 0)
    result.file.delete(save=False)
