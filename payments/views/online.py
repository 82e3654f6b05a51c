"""Online payment views: Pay (to the Snap page), the finish page, and Midtrans's notifications."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from customers.models import Customer
from payments import accounts, online, services
from payments.forms_public import BillCheckForm
from payments.models import LIVE_ORDER_STATES, OnlineOrder
from pdam.client_ip import client_ip
from pdam.forms import is_record_id

SESSION_ORDERS = "payment_orders"  # order ids this browser session made (anonymous payers too)
SESSION_ORDERS_KEPT = 20
REFRESH_SECONDS = 3


class PayForm(forms.Form):
    number = forms.CharField(max_length=12)
    invoice = forms.TypedMultipleChoiceField(coerce=int, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any ids: the service checks they are the customer's oldest outstanding invoices.
        self.fields["invoice"].valid_value = is_record_id


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _session_orders(request: HttpRequest) -> list[str]:
    return list(request.session.get(SESSION_ORDERS, []))


@require_POST
def pay(request: HttpRequest) -> HttpResponse:
    """Create (or reuse) the Snap order for the chosen invoices and send the payer to Snap."""
    throttle = accounts.bill_check_count(ip=client_ip(request))
    if not throttle.allowed:
        context = {
            "form": BillCheckForm(),
            "checked": False,
            "limited": True,
            "retry_minutes": max(1, -(-throttle.retry_after // 60)),
        }
        response = render(request, "payments/home.html", context, status=429)
        response["Retry-After"] = str(throttle.retry_after)
        return response
    form = PayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose at least one invoice to pay."))
        return redirect(_back(request))
    customer = Customer.objects.filter(number=form.cleaned_data["number"].strip()).first()
    if customer is None:  # answered as a known number with bills not its own
        messages.error(request, services.invoices_gone_message())
        return redirect(_back(request))
    try:
        order = online.order_start(
            customer=customer,
            invoice_ids=form.cleaned_data["invoice"],
            created_by=request.user,
            session_orders=_session_orders(request),
            finish_url=lambda o: request.build_absolute_uri(reverse("payments:order", args=[o.order_id])),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_back(request))
    orders = [o for o in _session_orders(request) if o != order.order_id] + [order.order_id]
    request.session[SESSION_ORDERS] = orders[-SESSION_ORDERS_KEPT:]
    if order.redirect_url:
        return redirect(order.redirect_url)
    return redirect("payments:order", order_id=order.order_id)


def _order(request: HttpRequest, order_id: str) -> OnlineOrder:
    try:
        return online.order_for_viewer(
            order_id=order_id, user=request.user, session_orders=_session_orders(request)
        )
    except OnlineOrder.DoesNotExist:
        raise Http404 from None


def _refreshed(order: OnlineOrder) -> OnlineOrder:
    """The true status from Midtrans while the order is live (never the redirect's query string)."""
    if order.state not in LIVE_ORDER_STATES:
        return order
    last = order.last_checked_at
    if last is not None and (timezone.now() - last).total_seconds() < REFRESH_SECONDS:
        return order
    return online.order_refresh(order=order)


@require_GET
@never_cache
def order_detail(request: HttpRequest, order_id: str) -> HttpResponse:
    """Snap's finish page: what the server knows, updating itself while the payment is pending."""
    order = _refreshed(_order(request, order_id))
    return render(request, "payments/order.html", online.order_summary(order))


@require_GET
@never_cache
def order_status(request: HttpRequest, order_id: str) -> JsonResponse:
    order = _refreshed(_order(request, order_id))
    summary = online.order_summary(order)
    payment = summary["payment"]
    return JsonResponse(
        {
            "state": order.state,
            "label": order.get_state_display(),
            "live": order.state in LIVE_ORDER_STATES,
            "receipt_url": reverse("payments:receipt", args=[payment.receipt_number]) if payment else None,
        }
    )


@csrf_exempt
@require_POST
def notification(request: HttpRequest) -> HttpResponse:
    """Midtrans's HTTP notification: stored first, verified, confirmed, applied once."""
    status = online.notification_receive(body=request.body, remote_addr=request.META.get("REMOTE_ADDR", ""))
    return HttpResponse("OK" if status == 200 else "", status=status, content_type="text/plain")
