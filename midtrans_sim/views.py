"""HTTP face of the Midtrans simulator: the Snap and Core API endpoints, the payment page, and a
control API for tests (``_sim/``).

The API endpoints answer exactly as ``midtransclient`` expects from Midtrans (Basic auth with the
server key, JSON bodies, Midtrans's status codes). The simulator is a developer tool mounted only
when ``settings.MIDTRANS_SIMULATOR``; its page strings are plain English/Indonesian, deliberately
kept out of the translation catalogue (no gettext).
"""

from __future__ import annotations

import base64
import functools
import hmac
import json
import time
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from midtrans_sim import services
from midtrans_sim.forms import PayForm
from midtrans_sim.models import FaultBehaviour, SimFault, SimNotification, SimTransaction

SNAP_UNAUTHORIZED = [
    "Access denied due to unauthorized transaction, please check client or server key",
    "Visit https://snap-docs.midtrans.com/#request-headers for more details",
]
HTML_ERROR_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render without the portal's context processors: the simulator stands apart from the portal."""
    html = render_to_string(template, context | {"csrf_token": get_token(request)})
    return HttpResponse(html, status=status)


LOOPBACK = {"127.0.0.1", "::1"}


def loopback_only(view):
    """The control API answers only this machine (REMOTE_ADDR, never X-Forwarded-For)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.META.get("REMOTE_ADDR", "") not in LOOPBACK:
            return JsonResponse({"error": "the control API answers only the loopback address"}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _authorized(request: HttpRequest) -> bool:
    """Basic auth with the server key as user name and an empty password, as Midtrans wants."""
    expected = "Basic " + base64.b64encode(f"{settings.MIDTRANS_SERVER_KEY}:".encode()).decode()
    return hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected.encode())


def _core_error(status_message: str, *, status_code: str, http_status: int) -> JsonResponse:
    body = {"status_code": status_code, "status_message": status_message, "id": str(uuid.uuid4())}
    return JsonResponse(body, status=http_status)


def _core_unauthorized() -> JsonResponse:
    return _core_error("Unknown Merchant server_key/id", status_code="401", http_status=401)


def _fault_response(fault: SimFault | None, *, snap: bool) -> HttpResponse | None:
    """Misbehave as armed; None means carry on (after sleeping, for a timeout)."""
    if fault is None:
        return None
    if fault.behaviour == FaultBehaviour.TIMEOUT:
        # Sleep past the client's timeout, then do the work anyway: the caller never hears that
        # its order now exists, which is exactly the case it must cope with.
        time.sleep(fault.seconds)
        return None
    if fault.behaviour == FaultBehaviour.ERROR500:
        if snap:
            return JsonResponse(
                {"error_messages": ["Sorry, we encountered internal server error. We will fix this soon."]},
                status=500,
            )
        return _core_error(
            "Sorry. Our system is recovering from unexpected issues. Please retry.",
            status_code="500",
            http_status=500,
        )
    status = 502 if fault.behaviour == FaultBehaviour.HTML else 200
    return HttpResponse(HTML_ERROR_PAGE, status=status, content_type="text/html")


def _default_notification_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}{services.default_notification_path()}"


# --- Snap API ------------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def snap_create(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        return JsonResponse({"error_messages": SNAP_UNAUTHORIZED}, status=401)
    if (response := _fault_response(services.fault_claim(endpoint="snap_create"), snap=True)) is not None:
        return response
    try:
        body = json.loads(request.body, parse_float=Decimal)
    except ValueError:
        return JsonResponse({"error_messages": ["There was a problem in the JSON you submitted"]}, status=400)
    urls = services.notification_urls_for(
        default_url=_default_notification_url(request),
        override=request.headers.get("X-Override-Notification", ""),
        append=request.headers.get("X-Append-Notification", ""),
    )
    try:
        sim = services.snap_transaction_create(body=body, notification_urls=urls)
    except services.SnapValidationError as error:
        return JsonResponse({"error_messages": error.messages}, status=400)
    redirect_url = request.build_absolute_uri(reverse("midtrans_sim:pay", args=[sim.token]))
    return JsonResponse({"token": str(sim.token), "redirect_url": redirect_url}, status=201)


# --- Core API ------------------------------------------------------------------------------------


@require_GET
def status(request: HttpRequest, order_id: str) -> HttpResponse:
    if not _authorized(request):
        return _core_unauthorized()
    if (response := _fault_response(services.fault_claim(endpoint="status"), snap=False)) is not None:
        return response
    try:
        return JsonResponse(services.transaction_status_payload(order_id=order_id))
    except services.SimError as error:
        return _core_error(error.status_message, status_code=error.status_code, http_status=error.http_status)


def _core_action(request: HttpRequest, order_id: str, action, message: str) -> HttpResponse:
    if not _authorized(request):
        return _core_unauthorized()
    try:
        result = action(order_id=order_id)
    except services.SimError as error:
        return _core_error(error.status_message, status_code=error.status_code, http_status=error.http_status)
    body = services.transaction_payload(sim=result.transaction, for_notification=False)
    body["status_message"] = message
    return JsonResponse(body)


@csrf_exempt
@require_POST
def cancel(request: HttpRequest, order_id: str) -> HttpResponse:
    return _core_action(request, order_id, services.transaction_cancel, "Success, transaction is canceled")


@csrf_exempt
@require_POST
def expire(request: HttpRequest, order_id: str) -> HttpResponse:
    return _core_action(request, order_id, services.transaction_expire, "Success, transaction has expired")


@csrf_exempt
@require_POST
def approve(request: HttpRequest, order_id: str) -> HttpResponse:
    return _core_action(request, order_id, services.transaction_approve, "Success, transaction is approved")


@csrf_exempt
@require_POST
def deny(request: HttpRequest, order_id: str) -> HttpResponse:
    return _core_action(request, order_id, services.transaction_deny, "Success, transaction is denied")


# --- The Snap payment page -----------------------------------------------------------------------


def rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


def _finish_redirect(finish_url: str, sim: SimTransaction) -> str:
    """Snap sends the browser back with order_id, status_code and transaction_status appended."""
    parts = urlsplit(finish_url)
    status_code = services.API_STATUS_CODES[sim.transaction_status]
    if sim.fraud_status == "challenge":
        status_code = "201"
    query = parse_qsl(parts.query, keep_blank_values=True) + [
        ("order_id", sim.order_id),
        ("status_code", status_code),
        ("transaction_status", sim.transaction_status),
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    found = SimTransaction.objects.filter(token=token).first()
    if found is None:
        # The simulator's own page, not the portal's 404 (it must not depend on the portal).
        return _render(request, "midtrans_sim/unknown.html", {}, status=404)
    sim = services.transaction_get(order_id=found.order_id)
    expired = services.snap_expired(sim) and sim.transaction_status in {"", "expire"}
    can_pay = not expired and sim.transaction_status in {"", "pending"}
    form = PayForm(
        request.POST if request.method == "POST" else None,
        enabled_payments=sim.enabled_payments,
        picked_method=sim.method if sim.transaction_status == "pending" else "",
    )
    error, http_status = "", 200
    if request.method == "POST":
        if not can_pay:
            error, http_status = "This order can no longer be paid.", 410
        elif form.is_valid():
            try:
                result = services.transaction_act(
                    order_id=sim.order_id,
                    outcome=form.cleaned_data["outcome"],
                    method=form.cleaned_data["method"],
                )
            except services.SimError as failure:
                error, http_status = failure.status_message, failure.http_status
            else:
                if sim.finish_url:
                    return HttpResponseRedirect(_finish_redirect(sim.finish_url, result.transaction))
                return _render(
                    request,
                    "midtrans_sim/done.html",
                    {"sim": result.transaction, "notifications": result.notifications},
                )
        else:
            http_status = 400
    context = {
        "sim": sim,
        "amount": rupiah(sim.gross_amount),
        "items": [
            {
                "name": item.get("name", ""),
                "quantity": item.get("quantity"),
                "price": rupiah(int(item.get("price", 0))),
            }
            for item in sim.items
        ],
        "method_label": services.METHODS[sim.method].label if sim.method else "",
        "expired": expired,
        "can_pay": can_pay,
        "form": form,
        "error": error,
        "expiry_time": services.midtrans_time(sim.expiry_at),
    }
    return _render(request, "midtrans_sim/pay.html", context, status=http_status)


# --- Control API (tests and developers) ----------------------------------------------------------


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _notification_json(record: SimNotification) -> dict[str, Any]:
    return {
        "url": record.url,
        "transaction_status": record.transaction_status,
        "status_code": record.status_code,
        "payload": json.loads(record.body),
        "response_status": record.response_status,
        "response_body": record.response_body,
        "error": record.error,
    }


def _control_error(error: services.SimError) -> JsonResponse:
    return JsonResponse(
        {"error": error.status_message, "status_code": error.status_code}, status=error.http_status
    )


def _transaction_json(sim: SimTransaction) -> dict[str, Any]:
    return {
        "order_id": sim.order_id,
        "token": str(sim.token),
        "gross_amount": sim.gross_amount,
        "method": sim.method,
        "transaction_id": str(sim.transaction_id) if sim.transaction_id else None,
        "transaction_status": sim.transaction_status,
        "fraud_status": sim.fraud_status,
        "expiry_time": services.midtrans_time(sim.expiry_at),
        "finish_url": sim.finish_url,
        "notification_urls": sim.notification_urls,
    }


@loopback_only
@csrf_exempt
@require_POST
def control_act(request: HttpRequest, order_id: str) -> HttpResponse:
    body = _json_body(request)
    method, notify_url = body.get("method") or None, body.get("notify_url") or None
    if not all(isinstance(value, (str, type(None))) for value in (method, notify_url)):
        return JsonResponse({"error": "method and notify_url must be strings"}, status=400)
    try:
        result = services.transaction_act(
            order_id=order_id, outcome=str(body.get("outcome", "")), method=method, notify_url=notify_url
        )
    except services.SimError as error:
        return _control_error(error)
    return JsonResponse(
        _transaction_json(result.transaction)
        | {"notifications": [_notification_json(n) for n in result.notifications]}
    )


@loopback_only
@csrf_exempt
@require_POST
def control_resend(request: HttpRequest, order_id: str) -> HttpResponse:
    notify_url = _json_body(request).get("notify_url") or None
    if not isinstance(notify_url, (str, type(None))):
        return JsonResponse({"error": "notify_url must be a string"}, status=400)
    try:
        sent = services.notification_resend(order_id=order_id, notify_url=notify_url)
    except services.SimError as error:
        return _control_error(error)
    return JsonResponse({"order_id": order_id, "notifications": [_notification_json(n) for n in sent]})


@loopback_only
@csrf_exempt
@require_POST
def control_lapse(request: HttpRequest, order_id: str) -> HttpResponse:
    try:
        sim = services.transaction_lapse(order_id=order_id)
    except services.SimError as error:
        return _control_error(error)
    return JsonResponse(_transaction_json(sim))


@loopback_only
@require_GET
def control_detail(request: HttpRequest, order_id: str) -> HttpResponse:
    try:
        sim = services.transaction_get(order_id=order_id)
    except services.SimError as error:
        return _control_error(error)
    notifications = [_notification_json(n) for n in sim.notifications.all()]
    return JsonResponse(_transaction_json(sim) | {"notifications": notifications})


@loopback_only
@csrf_exempt
@require_POST
def control_faults(request: HttpRequest) -> HttpResponse:
    """``{"snap_create": "timeout" | "error500" | "html" | "html200", "seconds": n}`` (or "status")."""
    body = _json_body(request)
    seconds = body.pop("seconds", 0)
    try:
        armed = [
            services.fault_arm(endpoint=endpoint, behaviour=str(behaviour), seconds=seconds)
            for endpoint, behaviour in body.items()
        ]
    except services.SimError as error:
        return JsonResponse({"error": error.status_message}, status=400)
    return JsonResponse(
        {"armed": [{"endpoint": f.endpoint, "behaviour": f.behaviour, "seconds": f.seconds} for f in armed]},
        status=201,
    )


@loopback_only
@require_GET
def control_index(request: HttpRequest) -> HttpResponse:
    transactions = list(SimTransaction.objects.all()[:50])
    return _render(request, "midtrans_sim/index.html", {"transactions": transactions})


@loopback_only
@csrf_exempt
@require_POST
def control_settle_bulk(request: HttpRequest) -> HttpResponse:
    """``{"transactions": [{"order_id", "gross_amount", "method"?}, …]}``: store them as paid
    without notifying; answer the notification bodies (load tests post them themselves)."""
    rows = _json_body(request).get("transactions")
    if not isinstance(rows, list):
        return JsonResponse({"error": "transactions must be a list"}, status=400)
    try:
        payloads = services.transactions_settle_bulk(rows=rows)
    except services.SimError as error:
        return JsonResponse({"error": error.status_message}, status=400)
    return JsonResponse({"notifications": payloads}, status=201)
