"""Benchmark of the nightly late-fee run (`make bench`).

It runs after the cashier-lookup benchmark, whose preparation gives every active or sealed
customer twelve months of invoices and leaves the last one to three months unpaid (one customer
in ten has paid nothing): the arrears a nightly run meets. The run is timed once as the first
night after all of that (every step earned so far is charged), then again the same night, which
must charge nothing (idempotent).
"""

import time

from django.utils import timezone

from arrears.selectors import invoices_outstanding
from arrears.services import late_fees_assess
from billing.models import Invoice


def bench_late_fees(*, emit) -> None:
    today = timezone.localdate()
    overdue = invoices_outstanding(Invoice.objects.filter(due_date__lt=today))
    emit("late_fees_invoices_overdue", overdue.count())
    emit("late_fees_customers_in_arrears", overdue.values("customer_id").order_by().distinct().count())
    started = time.perf_counter()
    first = late_fees_assess(on=today)
    emit("late_fees_assess_seconds", f"{time.perf_counter() - started:.1f}")
    emit("late_fees_charged", first.fees_charged)
    emit("late_fees_amount", first.amount_charged)
    started = time.perf_counter()
    again = late_fees_assess(on=today)
    emit("late_fees_rerun_seconds", f"{time.perf_counter() - started:.1f}")
    emit("late_fees_rerun_charged", again.fees_charged)
