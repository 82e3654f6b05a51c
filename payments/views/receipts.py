"""Receipts: the 80 mm page, its PDF, and counting a reprint.

A receipt is shown to staff who read payments, to the customer whose connection it is, and to
the browser session that made the online order it paid. Anyone else gets 404, as for a number
that was never issued: a refusal would confirm that the receipt exists.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payments import cashier, receipts
from payments.models import Payment
from pdam.access import permission_required

SESSION_ORDERS = "payment_orders"  # set by the online payment views


def _receipt_or_404(request: HttpRequest, receipt_number: str) -> Payment:
    try:
        return receipts.receipt_for_viewer(
            receipt_number=receipt_number,
            user=request.user,
            session_orders=list(request.session.get(SESSION_ORDERS, [])),
        )
    except Payment.DoesNotExist:
        raise Http404(_("No receipt has that number.")) from None


def receipt(request: HttpRequest, receipt_number: str) -> HttpResponse:
    payment = _receipt_or_404(request, receipt_number)
    staff = request.user.has_perm(receipts.VIEW_PAYMENT)
    response = render(
        request,
        "payments/receipt.html",
        {
            "receipt": receipts.receipt_data(
                payment=payment, masked=receipts.receipt_masked(payment=payment, user=request.user)
            ),
            "staff": staff,
            "can_void": request.user.has_perm(cashier.TAKE_PAYMENT)
            and cashier.payment_void_refusal(payment=payment, cashier=request.user) is None,
            "autoprint": request.GET.get("print") == "1",
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


def receipt_pdf(request: HttpRequest, receipt_number: str) -> HttpResponse:
    payment = _receipt_or_404(request, receipt_number)
    response = HttpResponse(
        receipts.receipt_pdf(
            payment=payment, masked=receipts.receipt_masked(payment=payment, user=request.user)
        ),
        content_type="application/pdf",
    )
    filename = get_valid_filename(f"{payment.receipt_number}.pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@permission_required(receipts.VIEW_PAYMENT)
def receipt_reprint(request: HttpRequest, receipt_number: str) -> HttpResponse:
    """Count a reprint; the page then prints itself, marked SALINAN / COPY."""
    payment = _receipt_or_404(request, receipt_number)
    payment = cashier.receipt_reprint(payment=payment, actor=request.user)
    messages.info(
        request, _("Copy %(n)s of receipt %(receipt)s.") % {"n": payment.reprints, "receipt": payment}
    )
    return redirect(reverse("payments:receipt", args=[payment.receipt_number]) + "?print=1")
