import hmac
import json

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from pdam.access import permission_required
from pdam.messaging import callbacks, selectors
from pdam.messaging.forms import OutboxFilterForm
from pdam.messaging.services import message_status_apply


@permission_required("pdam.view_message")
def outbox(request: HttpRequest) -> HttpResponse:
    """What the portal sent or will send to customers: who, channel, text, state."""
    form = OutboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    messages = selectors.messages_outbox(
        state=filters.get("state", ""), channel=filters.get("channel", ""), query=filters.get("q", "")
    )
    page = Paginator(messages, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "messages/outbox.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": bool(filters and any(filters.values())),
        },
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def status_callback(request: HttpRequest) -> HttpResponse:
    """Delivery statuses from the providers (signed); GET answers Meta's subscription handshake."""
    if request.method == "GET":
        token = settings.MESSAGING_CALLBACK_VERIFY_TOKEN
        if (
            token
            and request.GET.get("hub.mode") == "subscribe"
            and hmac.compare_digest(request.GET.get("hub.verify_token", ""), token)
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden()
    header = request.headers.get("X-Hub-Signature-256") or request.headers.get("X-Signature", "")
    if not callbacks.signature_valid(body=request.body, header=header):
        return HttpResponseForbidden()
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "not JSON"}, status=400)
    moved = 0
    for status in callbacks.statuses_in(payload):
        moved += message_status_apply(
            provider_id=status["id"], status=status["status"], at=status["at"], error=status["error"]
        )
    return JsonResponse({"ok": True, "moved": moved})
