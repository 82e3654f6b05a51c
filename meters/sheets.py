"""The DSML (daftar stand meter langganan): a route's reading sheet for one period, as PDF.

The reader takes it on the walk: customers in walking order with their meter, last stand and
average usage, and empty columns to write the stand and an anomaly code.
"""

from django.conf import settings
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone

from customers.models import Route
from meters.models import Anomaly, Period
from meters.selectors import period_progress, readable_customers, route_entry_rows
from pdam.pdf import render_pdf


def dsml_context(*, route: Route, period: Period) -> dict:
    rows = route_entry_rows(route=route, period=period)
    return {
        "route": route,
        "period": period,
        "rows": rows,
        "read_count": sum(1 for row in rows if row.reading is not None),
        "anomalies": Anomaly.choices,
        "printed_at": timezone.localtime(),
        "utility": {
            "name": settings.UTILITY_NAME,
            "address": settings.UTILITY_ADDRESS,
            "phone": settings.UTILITY_PHONE,
            "logo": settings.UTILITY_LOGO,
        },
    }


def dsml_html(*, route: Route, period: Period) -> str:
    return render_to_string("pdf/dsml.html", dsml_context(route=route, period=period))


def dsml_pdf(*, route: Route, period: Period) -> bytes:
    return render_pdf(dsml_html(route=route, period=period))


def progress_rows(*, period: Period) -> list[dict]:
    """`period_progress`, also for a month nobody has used yet (not stored: nothing read).

    The sheets are printed before the first reading of the month, so the page must list the
    routes then too; a page view never opens a period.
    """
    if period.pk is not None:
        return period_progress(period=period)
    totals = dict(
        readable_customers().values("route_id").annotate(n=Count("id")).values_list("route_id", "n")
    )
    return [
        {
            "route": route,
            "total": totals[route.pk],
            "read": 0,
            "flagged": 0,
            "estimated": 0,
            "missing": totals[route.pk],
            "percent": 0,
        }
        for route in Route.objects.select_related("zone").filter(pk__in=totals)
    ]
