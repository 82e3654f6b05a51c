"""Bill corrections (koreksi rekening): request one, the approval queue, decide one."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from billing import corrections
from billing.forms_corrections import CorrectionDecision, CorrectionDecisionForm, CorrectionRequestForm
from billing.models import CorrectionState, Invoice, InvoiceCorrection
from pdam.access import permission_required
from pdam.forms import form_add_errors

APPROVE = "billing.approve_invoicecorrection"


@dataclass(frozen=True)
class Side:
    """One column of the comparison: an invoice, or the replacement it would get."""

    title: str
    invoice: object  # Invoice or corrections.ReplacementDraft
    lines: list
    issued: bool


@permission_required("billing.add_invoicecorrection")
def correction_request(request: HttpRequest, number: str) -> HttpResponse:
    try:
        invoice = corrections.invoice_for_correction(number=number)
    except Invoice.DoesNotExist:
        raise Http404(_("No invoice has that number.")) from None
    form = CorrectionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            correction = corrections.invoice_correction_request(
                actor=request.user, invoice=invoice, **form.cleaned_data
            )
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(
                request,
                _("Correction of invoice %(number)s requested; a supervisor will decide.")
                % {"number": invoice.number},
            )
            return redirect("billing:correction_detail", pk=correction.pk)
    return render(
        request,
        "billing/correction_request.html",
        {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "form": form,
            "pending": corrections.invoice_pending_correction(invoice=invoice),
            "replacement": corrections.invoice_replacement(invoice=invoice),
        },
    )


@permission_required("billing.view_invoicecorrection")
def correction_list(request: HttpRequest) -> HttpResponse:
    pending, decided = corrections.correction_queue()
    return render(request, "billing/correction_list.html", {"pending": pending, "decided": decided})


@permission_required("billing.view_invoicecorrection")
def correction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        correction = corrections.correction_get(pk=pk)
    except InvoiceCorrection.DoesNotExist:
        raise Http404(_("No such correction.")) from None
    form = CorrectionDecisionForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm(APPROVE):
            raise PermissionDenied
        if form.is_valid():
            approve = form.cleaned_data["decision"] == CorrectionDecision.APPROVE
            decide = (
                corrections.invoice_correction_approve if approve else corrections.invoice_correction_reject
            )
            try:
                decided = decide(actor=request.user, correction=correction, note=form.cleaned_data["note"])
            except ValidationError as error:
                form_add_errors(form, error)
            else:
                if approve:
                    message = _("Invoice %(number)s cancelled; replacement %(replacement)s issued.") % {
                        "number": correction.invoice.number,
                        "replacement": decided.replacement.number,
                    }
                else:
                    message = _("Correction of invoice %(number)s rejected.") % {
                        "number": correction.invoice.number
                    }
                messages.success(request, message)
                return redirect("billing:correction_detail", pk=correction.pk)

    invoice = correction.invoice
    sides = [Side(_("Original"), invoice, list(invoice.lines.all()), True)]
    preview = None
    if correction.state == CorrectionState.APPROVED:
        replacement = correction.replacement
        sides.append(Side(_("Replacement"), replacement, list(replacement.lines.all()), True))
        carried = correction.carried_replacement
        if carried is not None:  # the next month, recounted from the corrected stand
            sides.append(
                Side(_("Next month, original"), carried.replaces, list(carried.replaces.lines.all()), True)
            )
            sides.append(Side(_("Next month, recounted"), carried, list(carried.lines.all()), True))
    elif correction.state == CorrectionState.PENDING:
        preview = corrections.correction_preview(correction=correction)
        if preview.draft is not None:
            sides.append(Side(_("Proposed replacement"), preview.draft, preview.draft.lines, False))
        if preview.following_draft is not None:
            following = preview.following
            sides.append(Side(_("Next month, original"), following, list(following.lines.all()), True))
            sides.append(
                Side(
                    _("Next month, recounted"), preview.following_draft, preview.following_draft.lines, False
                )
            )
    return render(
        request,
        "billing/correction_detail.html",
        {
            "correction": correction,
            "sides": sides,
            "preview": preview,
            "form": form,
            "can_decide": correction.state == CorrectionState.PENDING and request.user.has_perm(APPROVE),
            "own_request": correction.requested_by_id == request.user.pk,
        },
    )
