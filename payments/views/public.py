"""The public front page with the bill check (cek tagihan): anyone, no login."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from payments import accounts
from payments.forms_public import BillCheckForm
from pdam.client_ip import client_ip


@require_GET
@never_cache
def home(request: HttpRequest) -> HttpResponse:
    """The front page. ``?nomor=<customer number>`` (typed, or from the bill's QR code) checks
    that bill: masked name, area, outstanding invoices and a Pay form. Every lookup counts
    against the visitor's address; past the limit the answer is 429."""
    form = BillCheckForm(request.GET if "nomor" in request.GET else None)
    context = {"form": form, "checked": False}
    if form.is_bound:
        throttle = accounts.bill_check_count(ip=client_ip(request))
        if not throttle.allowed:
            context.update(limited=True, retry_minutes=max(1, -(-throttle.retry_after // 60)))
            response = render(request, "payments/home.html", context, status=429)
            response["Retry-After"] = str(throttle.retry_after)
            return response
        if form.is_valid():
            context.update(checked=True, check=accounts.bill_check(number=form.cleaned_data["nomor"]))
    return render(request, "payments/home.html", context)
