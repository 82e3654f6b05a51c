"""Meters on the customer page: the section, installing and replacing a meter, reading photos."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from customers.models import Customer
from meters import selectors, services
from meters.forms import MeterInstallForm, MeterReplaceForm
from meters.models import Meter, Reading
from meters.views.common import customer_or_404
from pdam.access import permission_required
from pdam.forms import form_add_errors


def customer_section(request: HttpRequest, customer: Customer) -> tuple[str, dict] | None:
    """The meters and readings section of the customer page (registered in MetersConfig.ready)."""
    if not request.user.has_perm("meters.view_reading"):
        return None
    return (
        "meters/_customer_section.html",
        {
            "meters": list(Meter.objects.filter(customer=customer).order_by("-installed_on", "-id")),
            "readings": list(selectors.customer_readings(customer=customer)),
        },
    )


@permission_required("meters.add_meter")
def meter_install(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_or_404(number)
    form = MeterInstallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.meter_install(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Meter installed."))
            return redirect("customers:detail", number=customer.number)
    return render(
        request, "meters/meter_form.html", {"form": form, "customer": customer, "title": _("Install meter")}
    )


@permission_required("meters.change_meter")
def meter_replace(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_or_404(number)
    form = MeterReplaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.meter_replace(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Meter replaced."))
            return redirect("customers:detail", number=customer.number)
    return render(
        request, "meters/meter_form.html", {"form": form, "customer": customer, "title": _("Replace meter")}
    )


@permission_required("meters.view_reading")
def reading_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """Photos show people's houses: served only to staff who may see readings."""
    reading = get_object_or_404(Reading, pk=pk)
    if not reading.photo:
        raise Http404
    handle = reading.photo.open("rb")
    content_type = selectors.photo_content_type(handle.read(8))
    handle.seek(0)
    if content_type is None:  # not a JPEG or PNG, whatever its name says: never served
        handle.close()
        raise Http404
    return FileResponse(handle, content_type=content_type)
