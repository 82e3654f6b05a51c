"""The verification queue: supervisors confirm, correct or send back flagged readings."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from meters import selectors, services
from meters.forms import VerifyForm
from meters.models import Reading
from pdam.access import permission_required
from pdam.forms import form_add_errors


@permission_required("meters.verify_reading")
def verification_queue(request: HttpRequest) -> HttpResponse:
    readings = list(selectors.verification_queue()[:300])
    return render(request, "meters/verify_queue.html", {"readings": readings})


@permission_required("meters.verify_reading")
def verification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reading = get_object_or_404(Reading.objects.select_related("customer", "period", "meter"), pk=pk)
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reading_verify(actor=request.user, reading=reading, **form.cleaned_data)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(
                request, _("Reading of %(number)s handled.") % {"number": reading.customer.number}
            )
            return redirect("meters:verify_queue")
    history = list(selectors.customer_readings(customer=reading.customer, limit=13))
    return render(
        request,
        "meters/verify_detail.html",
        {
            "reading": reading,
            "form": form,
            "history": history,
            "max_usage": max([r.usage_m3 for r in history] or [1]),
        },
    )
