"""Benchmark of the bill run on the seeded database (`make bench`)."""

import os
import subprocess
import sys
import time
from urllib.parse import quote

from django.conf import settings
from django.db import connection, connections
from django.db.models import Exists, OuterRef
from django.utils import timezone

from billing.bill_run import bill_run_start
from billing.models import BillRun, Invoice, InvoiceLine
from meters.models import Period, PeriodState
from meters.services import period_get_or_open

WORKERS = 2  # the machine's cores


def _prepare(period: Period) -> int:
    """Meters for every customer and a verified reading for every active one (10–30 m3)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO meters_meter (customer_id, serial_number, brand, size, digits, installed_on,
                                      initial_stand, created_at)
            SELECT c.id, 'B-' || c.number, 'Barindo', '1/2', 5, c.connected_on, 0, now()
            FROM customers_customer c
            WHERE NOT EXISTS (
                SELECT 1 FROM meters_meter m WHERE m.customer_id = c.id AND m.removed_on IS NULL
            )
            """
        )
        cursor.execute(
            """
            INSERT INTO meters_reading (customer_id, period_id, meter_id, stand, previous_stand, usage_m3,
                months_covered, replaced_meter_usage_m3, rollover, estimated, read_on, reader, method,
                anomaly, flags, status, photo, created_at, updated_at)
            SELECT c.id, %s, m.id, 1000 + u.usage, 1000, u.usage, 1, 0, false, false, %s, 'bench',
                   'import', '', '[]', 'ok', '', now(), now()
            FROM customers_customer c
            JOIN meters_meter m ON m.customer_id = c.id AND m.removed_on IS NULL
            CROSS JOIN LATERAL (SELECT 10 + (c.id * 7919) %% 21 AS usage) u
            WHERE c.status = 'active'
              AND NOT EXISTS (SELECT 1 FROM meters_reading r WHERE r.customer_id = c.id AND r.period_id = %s)
            """,
            [period.pk, period.month, period.pk],
        )
        cursor.execute("ANALYZE meters_meter; ANALYZE meters_reading")
        cursor.execute("SELECT count(*) FROM customers_customer WHERE status IN ('active', 'sealed')")
        return cursor.fetchone()[0]


SQL_FLOOR = """
CREATE TEMP TABLE floor_invoice AS SELECT * FROM billing_invoice WITH NO DATA;
INSERT INTO floor_invoice (id, number, customer_id, period_id, reading_id, tariff_version_id, tariff_class_id,
    route_id, meter_size, previous_stand, current_stand, usage_m3, billed_usage_m3, estimated, fixed_only,
    total, due_date, status, issued_at, bill_run_id, cancel_reason)
SELECT r.id, to_char(p.month, 'YYYYMM') || '-' || c.number, c.id, p.id, r.id, v.id, c.tariff_class_id,
       c.route_id, m.size, r.previous_stand, r.stand, r.usage_m3, r.usage_m3, false, false,
       (SELECT sum(GREATEST(0, LEAST(GREATEST(r.usage_m3, v.minimum_usage_m3), COALESCE(b.to_m3, 2147483647))
                         - b.from_m3 + 1) * b.price_per_m3)
          FROM billing_tariffblock b WHERE b.version_id = v.id)
       + (SELECT coalesce(sum(f.amount), 0) FROM billing_fixedcharge f
          WHERE f.version_id = v.id AND f.meter_size IN ('', m.size)),
       p.month + 19, 'issued', now(), NULL, ''
FROM meters_reading r
JOIN meters_period p ON p.id = r.period_id
JOIN customers_customer c ON c.id = r.customer_id
JOIN meters_meter m ON m.id = r.meter_id
JOIN LATERAL (SELECT * FROM billing_tariffversion tv WHERE tv.tariff_class_id = c.tariff_class_id
              AND tv.effective_from <= p.month ORDER BY tv.effective_from DESC LIMIT 1) v ON true
WHERE r.period_id = %s AND r.status = 'ok' AND c.status = 'active';
"""


def bench_bill_run(*, emit) -> None:
    # The oldest month not billed yet, and never one in the future (a bill run refuses those).
    this_month = timezone.localdate().replace(day=1)
    unbilled = (
        Period.objects.filter(month__lte=this_month, state=PeriodState.OPEN)
        .filter(~Exists(BillRun.objects.filter(period=OuterRef("pk"))))
        .order_by("month")
        .first()
    )
    period = unbilled or period_get_or_open(month=this_month)
    started = time.perf_counter()
    billable = _prepare(period)
    emit("bill_run_prepare_seconds", f"{time.perf_counter() - started:.1f}")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SQL_FLOOR, [period.pk])
        cursor.execute("SELECT count(*) FROM floor_invoice")
        floor_rows = cursor.fetchone()[0]
        cursor.execute("DROP TABLE floor_invoice")
    floor_seconds = time.perf_counter() - started

    started = time.perf_counter()
    # Not queued: WORKERS processes take the chunks, as Celery workers on this machine would.
    run = bill_run_start(actor=None, period=period, queue=False)
    connections.close_all()
    workers = [
        subprocess.Popen(  # noqa: S603 - our own manage.py with an integer argument
            [sys.executable, "manage.py", "bill_run_work", str(run.pk)],
            cwd=settings.BASE_DIR,
            env={**os.environ, "DATABASE_URL": _database_url()},
            stdout=subprocess.DEVNULL,
        )
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.wait()
    seconds = time.perf_counter() - started
    run = BillRun.objects.get(pk=run.pk)
    emit("bill_run_customers", billable)
    emit("bill_run_invoices", Invoice.objects.filter(bill_run=run).count())
    emit("bill_run_lines", InvoiceLine.objects.filter(invoice__bill_run=run).count())
    emit("bill_run_state", run.state)
    emit("bill_run_seconds", f"{seconds:.1f}")
    emit("sql_floor_rows", floor_rows)
    emit("sql_floor_seconds", f"{floor_seconds:.1f}")
    emit("bill_run_floor_ratio", f"{seconds / floor_seconds:.1f}" if floor_seconds else "n/a")


def _database_url() -> str:
    """The URL of the database this process is on (the bench's own), for the worker processes."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
