"""Reading sheets (DSML PDF) and the period's reading progress, route by route."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Route
from meters import selectors, sheets
from meters.forms import MonthField
from meters.selectors import month_add
from pdam.access import permission_required


def _latest_month() -> datetime.date:
    """Sheets are printed before the walk: up to next month, never further."""
    return month_add(timezone.localdate().replace(day=1), 1)


class ProgressForm(forms.Form):
    period = MonthField(label=_("Period"), required=False)

    def clean_period(self):
        month = self.cleaned_data["period"]
        if month and month > _latest_month():
            raise ValidationError(_("That month is too far ahead."))
        return month


@permission_required("meters.view_reading")
def dsml_pdf(request: HttpRequest, route: int, month: str) -> HttpResponse:
    route_obj = get_object_or_404(Route.objects.select_related("zone"), pk=route)
    try:
        first_day = MonthField().clean(month)
    except ValidationError:
        raise Http404 from None
    if first_day > _latest_month():
        raise Http404
    pdf = sheets.dsml_pdf(route=route_obj, period=selectors.period_for_month(month=first_day))
    safe_code = re.sub(r"[^A-Za-z0-9_-]", "_", route_obj.code)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="DSML-{safe_code}-{first_day:%Y-%m}.pdf"'
    return response


def _percent(part: int, whole: int) -> int:
    return min(100, round(100 * part / whole)) if whole else 0


@permission_required("meters.view_reading")
def period_progress(request: HttpRequest) -> HttpResponse:
    form = ProgressForm(request.GET or None)
    month = timezone.localdate().replace(day=1)
    if form.is_valid() and form.cleaned_data["period"]:
        month = form.cleaned_data["period"]
    period = selectors.period_for_month(month=month)
    rows = sheets.progress_rows(period=period)
    totals = {
        key: sum(row[key] for row in rows) for key in ("total", "read", "flagged", "estimated", "missing")
    }
    for row in [*rows, totals]:
        row["ok_percent"] = _percent(row["read"] - row["flagged"], row["total"])
        row["flagged_percent"] = _percent(row["flagged"], row["total"])
        row["percent"] = _percent(row["read"], row["total"])
    return render(
        request,
        "meters/progress.html",
        {
            "form": form,
            "period": period,
            "rows": rows,
            "totals": totals,
            "previous_month": month_add(month, -1),
            "next_month": month_add(month, 1) if month_add(month, 1) <= _latest_month() else None,
        },
    )
