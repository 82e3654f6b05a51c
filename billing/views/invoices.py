"""Invoices: the staff page, the PDF (staff, and the customer whose connection it is), a route's
batch of PDFs for delivery, and the invoices section of the customer page."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from billing import documents
from billing.extensions import invoice_sections
from billing.models import Invoice
from customers.models import Customer, Route
from meters.models import Period
from pdam.access import login_required, permission_required
from pdam.forms import MonthField

VIEW_INVOICE = "billing.view_invoice"


def _invoice_or_404(number: str) -> Invoice:
    try:
        return documents.invoice_get(number=number)
    except Invoice.DoesNotExist:
        raise Http404(_("No invoice has that number.")) from None


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Bills carry names and addresses: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


@permission_required(VIEW_INVOICE)
def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    invoice = _invoice_or_404(number)
    page = documents.invoice_pages(invoices=[invoice])[0]
    return render(
        request,
        "billing/invoice_detail.html",
        {"invoice": invoice, "page": page, "sections": invoice_sections(request, invoice)},
    )


@login_required
def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """Staff who may see invoices, and the customer whose portal account holds the connection.

    Anyone else gets 404, as for a number that does not exist: invoice numbers are customer
    numbers, and a refusal would confirm that one exists.
    """
    invoice = _invoice_or_404(number)
    if not request.user.has_perm(VIEW_INVOICE) and invoice.customer.user_id != request.user.pk:
        raise Http404(_("No invoice has that number."))
    return _pdf_response(documents.invoice_pdf(invoice=invoice), get_valid_filename(f"{invoice.number}.pdf"))


@permission_required(VIEW_INVOICE)
def route_batch_pdf(request: HttpRequest, route: int, month: str) -> HttpResponse:
    route_obj = get_object_or_404(Route.objects.select_related("zone"), pk=route)
    try:
        first_day = MonthField().clean(month)
    except ValidationError:
        raise Http404 from None
    period = get_object_or_404(Period, month=first_day)
    pdf, count = documents.route_batch_pdf(route=route_obj, period=period)
    if not count:
        raise Http404(_("No issued invoices on this route for this period."))
    return _pdf_response(pdf, get_valid_filename(f"rekening-{route_obj.code}-{period}.pdf"))


def customer_section(request: HttpRequest, customer: Customer) -> tuple[str, dict] | None:
    """The invoices section of the customer page (registered in BillingConfig.ready)."""
    if not request.user.has_perm(VIEW_INVOICE):
        return None
    return (
        "billing/_customer_invoices.html",
        {
            "invoices": list(documents.customer_invoices_recent(customer=customer)),
            "limit": documents.CUSTOMER_SECTION_LIMIT,
        },
    )
