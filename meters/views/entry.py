"""Route entry: a route's customers in walking order; each row saves as it is typed."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.models import Route
from meters import selectors, services
from meters.forms import MonthField, RoutePeriodForm, SingleReadingForm, StandForm
from meters.models import Anomaly, Reading, ReadingMethod
from meters.views.common import customer_or_404, error_text
from pdam.access import permission_required
from pdam.forms import form_add_errors


def _row_json(reading: Reading) -> dict:
    return {
        "ok": True,
        "usage": reading.usage_m3,
        "estimated": reading.estimated,
        "status": reading.status,
        "status_label": reading.get_status_display(),
        "flags": reading.flag_labels,
        "rollover": reading.rollover,
    }


@permission_required("meters.add_reading")
def route_entry(request: HttpRequest) -> HttpResponse:
    form = RoutePeriodForm(request.GET or None)
    rows = None
    period = None
    if form.is_valid():
        period = selectors.period_for_month(month=form.cleaned_data["period"])
        rows = selectors.route_entry_rows(route=form.cleaned_data["route"], period=period)
    return render(
        request,
        "meters/route_entry.html",
        {
            "form": form,
            "rows": rows,
            "period": period,
            "route": form.cleaned_data.get("route") if form.is_valid() else None,
            "anomalies": Anomaly.choices,
            "today": timezone.localdate(),
        },
    )


@require_POST
@permission_required("meters.add_reading")
def route_entry_save(request: HttpRequest, route: int, month: str, number: str) -> HttpResponse:
    """Save one row. Answers JSON to the page's script, or redirects back without script."""
    route_obj = get_object_or_404(Route, pk=route)
    customer = customer_or_404(number)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    back = f"{reverse('meters:route_entry')}?route={route_obj.pk}&period={month}"
    form = StandForm(request.POST)
    try:
        if customer.route_id != route_obj.pk:
            raise ValidationError(_("Customer %(number)s is not on this route.") % {"number": number})
        if not form.is_valid():
            raise ValidationError(" ".join(m for errors in form.errors.values() for m in errors))
        with transaction.atomic():  # a refused reading leaves no new period behind
            period = services.period_get_or_open(month=MonthField().clean(month))
            reading = services.reading_record(
                actor=request.user,
                customer=customer,
                period=period,
                stand=form.cleaned_data["stand"],
                anomaly=form.cleaned_data["anomaly"],
                read_on=form.cleaned_data["read_on"],
                reader=form.cleaned_data["reader"] or request.user.get_full_name(),
                method=ReadingMethod.FIELD,
            )
    except ValidationError as error:
        if wants_json:
            return JsonResponse({"ok": False, "error": error_text(error)}, status=422)
        messages.error(request, f"{number}: {error_text(error)}")
        return redirect(back)
    if wants_json:
        return JsonResponse(_row_json(reading))
    messages.success(
        request, _("%(number)s saved: %(usage)s m³.") % {"number": number, "usage": reading.usage_m3}
    )
    return redirect(back)


@permission_required("meters.add_reading")
def reading_single(request: HttpRequest, number: str) -> HttpResponse:
    """Enter one customer's reading from the customer page, with an optional photo."""
    customer = customer_or_404(number)
    form = SingleReadingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # a refused reading leaves no new period behind
                period = services.period_get_or_open(month=data["period"])
                reading = services.reading_record(
                    actor=request.user,
                    customer=customer,
                    period=period,
                    stand=data["stand"],
                    anomaly=data["anomaly"],
                    read_on=data["read_on"],
                    reader=data["reader"] or request.user.get_full_name(),
                    method=ReadingMethod.OFFICE,
                    photo=data["photo"],
                    reason=data["reason"],
                )
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            text = _("Reading saved: %(usage)s m³.") % {"usage": reading.usage_m3}
            if reading.flags:
                text += " " + _("Held for verification: %(flags)s.") % {
                    "flags": ", ".join(reading.flag_labels)
                }
            messages.success(request, text)
            return redirect("customers:detail", number=customer.number)
    return render(request, "meters/reading_form.html", {"form": form, "customer": customer})
