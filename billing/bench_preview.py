"""Benchmark of the bill run's preview (`make bench`, or `manage.py bench --only preview`)."""

import time

from django.db import connection

from billing.bench import _prepare
from billing.run_guard import bill_run_preview
from meters.models import Period
from meters.selectors import month_add
from meters.services import period_get_or_open


def bench_bill_run_preview(*, emit) -> None:
    """The preview of the month after the seeded ones: every active customer read, then one in
    ten readings removed so that the preview estimates them as the run would."""
    latest = Period.objects.order_by("-month").first()
    period = period_get_or_open(month=month_add(latest.month, 1))
    billable = _prepare(period)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM meters_reading WHERE period_id = %s AND id %% 10 = 0", [period.pk])
        cursor.execute("ANALYZE meters_reading")
    started = time.perf_counter()
    preview = bill_run_preview(period=period)
    emit("bill_run_preview_customers", billable)
    emit("bill_run_preview_seconds", f"{time.perf_counter() - started:.1f}")
    emit("bill_run_preview_amount", preview.figures.amount)
    emit("bill_run_preview_estimated", preview.figures.estimated)
    emit("bill_run_preview_outliers", preview.outlier_count)
