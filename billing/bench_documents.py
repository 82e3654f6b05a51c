"""Benchmarks of the invoice documents (`make bench`), run after the bill run benchmark: the
latest period with issued invoices, rendered as single PDFs and as one route's batch."""

import statistics
import time

from django.db.models import Count

from billing import documents
from billing.models import Invoice, InvoiceStatus
from customers.models import Route
from meters.models import Period

SINGLE_SAMPLES = 20
BATCH_INVOICES = 500


def _latest_billed_period() -> Period | None:
    for period in Period.objects.order_by("-month")[:24]:
        if Invoice.objects.filter(period=period, status=InvoiceStatus.ISSUED).exists():
            return period
    return None


def bench_documents(*, emit) -> None:
    period = _latest_billed_period()
    if period is None:
        emit("invoice_pdf_skipped", "no issued invoices: run the bill run benchmark first")
        return
    # The largest route of the period (the demo registry has 400 customers a route).
    busiest = (
        Invoice.objects.filter(period=period, status=InvoiceStatus.ISSUED)
        .order_by()
        .values("route_id")
        .annotate(count=Count("id"))
        .order_by("-count", "route_id")
        .first()
    )
    route = Route.objects.select_related("zone").get(pk=busiest["route_id"])
    numbers = list(
        Invoice.objects.filter(period=period, route=route, status=InvoiceStatus.ISSUED)
        .order_by("customer__route_sequence")
        .values_list("number", flat=True)[: SINGLE_SAMPLES + 1]
    )

    # The first render of a process loads the fonts: a worker pays it once, so it is apart.
    started = time.perf_counter()
    documents.invoice_pdf_render(invoice=documents.invoice_get(number=numbers[0]))
    emit("invoice_pdf_first_ms", round((time.perf_counter() - started) * 1000))
    timings = []
    for number in numbers[1:]:
        started = time.perf_counter()
        documents.invoice_pdf_render(invoice=documents.invoice_get(number=number))  # uncached
        timings.append(time.perf_counter() - started)
    emit("invoice_pdf_ms", round(statistics.median(timings) * 1000))

    started = time.perf_counter()
    pdf, count = documents.route_batch_pdf(route=route, period=period, limit=BATCH_INVOICES)
    emit("route_batch_pdf_seconds", f"{time.perf_counter() - started:.1f}")
    emit("route_batch_pdf_invoices", count)
    emit("route_batch_pdf_mb", f"{len(pdf) / 1_000_000:.1f}")
