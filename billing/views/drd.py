"""The DRD page (daftar rekening ditagih) and its CSV and XLSX downloads."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing import drd
from meters.models import Period
from meters.selectors import month_add
from pdam.access import permission_required
from pdam.forms import MonthField

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DrdForm(forms.Form):
    period = MonthField(label=_("Period"), required=False)


def _period_or_404(month: str) -> Period:
    try:
        first_day = MonthField().clean(month)
    except ValidationError:
        raise Http404 from None
    return get_object_or_404(Period, month=first_day)


@permission_required("billing.view_invoice")
def drd_page(request: HttpRequest) -> HttpResponse:
    form = DrdForm(request.GET or None)
    month = None
    if form.is_valid() and form.cleaned_data["period"]:
        month = form.cleaned_data["period"]
    else:
        latest = drd.drd_latest_period()
        month = latest.month if latest else timezone.localdate().replace(day=1)
    period = Period.objects.filter(month=month).first()
    return render(
        request,
        "billing/drd.html",
        {
            "form": form,
            "month": month,
            "register": drd.drd_for(period=period) if period else None,
            "previous_month": month_add(month, -1),
            "next_month": month_add(month, 1),
        },
    )


@permission_required("billing.view_invoice")
def drd_csv(request: HttpRequest, month: str) -> HttpResponse:
    period = _period_or_404(month)
    response = HttpResponse(
        drd.drd_csv(drd=drd.drd_for(period=period)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="DRD-{period}.csv"'
    return response


@permission_required("billing.view_invoice")
def drd_xlsx(request: HttpRequest, month: str) -> HttpResponse:
    period = _period_or_404(month)
    response = HttpResponse(drd.drd_xlsx(drd=drd.drd_for(period=period)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="DRD-{period}.xlsx"'
    return response
