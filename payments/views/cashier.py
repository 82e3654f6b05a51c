"""The cashier desk (loket): lookup and cash payment, the cashier's shift, shift reports, the
supervisor's day view, and voids approved on the spot."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.models import Customer
from payments import cashier, selectors
from payments.forms_cashier import DeskLookupForm, DeskPaymentForm, ShiftCloseForm, ShiftOpenForm, VoidForm
from payments.models import CashierShift, Payment
from pdam.access import permission_required
from pdam.forms import form_add_errors
from pdam.money import format_rupiah

TAKE_PAYMENT = cashier.TAKE_PAYMENT
VIEW_SHIFT = "payments.view_cashiershift"


def _customer_or_404(number: str) -> Customer:
    try:
        return cashier.desk_customer_get(number=number)
    except Customer.DoesNotExist:
        raise Http404(_("No customer has that number.")) from None


def _desk_render(request: HttpRequest, *, lookup, customer=None, form=None, query="") -> HttpResponse:
    desk = cashier.desk_view(customer=customer) if customer is not None else None
    if desk is not None and form is None:
        form = DeskPaymentForm(initial={"use_credit": True})
    if desk is not None and form.is_bound:
        selected = {int(pk) for pk in form.data.getlist("invoices") if pk.isdigit()}
    else:
        selected = {row.invoice.pk for row in desk.invoices} if desk else set()
    return render(
        request,
        "payments/cashier/desk.html",
        {
            "lookup": lookup,
            "query": query,
            "desk": desk,
            "form": form,
            "selected": selected,
            "shift": selectors.shift_open_for(cashier=request.user),
        },
    )


@permission_required(TAKE_PAYMENT)
def desk(request: HttpRequest) -> HttpResponse:
    """Look a customer up by number, or by the QR code or barcode of one of their invoices."""
    lookup = DeskLookupForm(request.GET or None)
    customer = None
    query = ""
    if lookup.is_valid() and lookup.cleaned_data["q"].strip():
        query = lookup.cleaned_data["q"].strip()
        number = cashier.desk_query_parse(query)
        try:
            customer = cashier.desk_customer_get(number=number or "")
        except Customer.DoesNotExist:
            lookup.add_error("q", _("No customer has that number."))
        else:
            query = customer.number
    return _desk_render(request, lookup=lookup, customer=customer, query=query)


@require_POST
@permission_required(TAKE_PAYMENT)
def desk_pay(request: HttpRequest, number: str) -> HttpResponse:
    customer = _customer_or_404(number)
    form = DeskPaymentForm(request.POST)
    if form.is_valid():
        try:
            taken = cashier.desk_payment_take(
                cashier=request.user,
                customer=customer,
                invoice_ids=form.cleaned_data["invoices"],
                tendered=form.cleaned_data["tendered"],
                use_credit=form.cleaned_data["use_credit"],
            )
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            payment = taken.payment
            messages.success(
                request,
                _("Payment %(receipt)s recorded. Change: %(change)s.")
                % {"receipt": payment.receipt_number, "change": format_rupiah(payment.change)},
            )
            for order_id in taken.orders_not_cancelled:
                messages.warning(
                    request,
                    _(
                        "The payment gateway could not be reached to cancel online order %(order)s: "
                        "if the customer pays it anyway, the money becomes their credit."
                    )
                    % {"order": order_id},
                )
            return redirect("payments:receipt", receipt_number=payment.receipt_number)
    return _desk_render(request, lookup=DeskLookupForm(), customer=customer, form=form, query=customer.number)


# --- The cashier's own shift ----------------------------------------------------------------------


def _shift_render(request: HttpRequest, *, open_form=None, close_form=None) -> HttpResponse:
    shift = selectors.shift_open_for(cashier=request.user)
    report = cashier.shift_report(shift=shift) if shift is not None else None
    open_form = open_form or ShiftOpenForm()
    close_form = close_form or ShiftCloseForm()
    recent = list(
        CashierShift.objects.filter(cashier=request.user, state="closed").order_by("-opened_at")[:10]
    )
    return render(
        request,
        "payments/cashier/shift.html",
        {
            "shift": shift,
            "report": report,
            "recent": recent,
            "open_form": open_form,
            "close_form": close_form,
            # The refusal of a form that is not on the page (closing with no shift open) shows
            # at the top.
            "forms_with_errors": [close_form if shift is None else open_form],
        },
    )


@permission_required(TAKE_PAYMENT)
def shift_current(request: HttpRequest) -> HttpResponse:
    return _shift_render(request)


@require_POST
@permission_required(TAKE_PAYMENT)
def shift_open(request: HttpRequest) -> HttpResponse:
    form = ShiftOpenForm(request.POST)
    if form.is_valid():
        try:
            shift = cashier.shift_open(cashier=request.user, opening_float=form.cleaned_data["opening_float"])
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(
                request,
                _("Shift opened with a float of %(float)s.") % {"float": format_rupiah(shift.opening_float)},
            )
            return redirect("payments:desk")
    return _shift_render(request, open_form=form)


@require_POST
@permission_required(TAKE_PAYMENT)
def shift_close(request: HttpRequest) -> HttpResponse:
    form = ShiftCloseForm(request.POST)
    if form.is_valid():
        try:
            shift = cashier.shift_close(
                cashier=request.user,
                counted_cash=form.cleaned_data["counted_cash"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Shift closed."))
            return redirect("payments:shift_report", pk=shift.pk)
    return _shift_render(request, close_form=form)


# --- Reports --------------------------------------------------------------------------------------


@permission_required(VIEW_SHIFT)
def shift_report(request: HttpRequest, pk: int) -> HttpResponse:
    """A shift's printable report. Cashiers open their own; supervisors and managers any."""
    shift = cashier.shifts_visible_to(request.user).filter(pk=pk).first()
    if shift is None:
        raise Http404(_("No such shift."))
    return render(
        request, "payments/cashier/shift_report.html", {"report": cashier.shift_report(shift=shift)}
    )


@permission_required(VIEW_SHIFT)
def shifts_day(request: HttpRequest) -> HttpResponse:
    """Every shift of a day with its difference (a cashier sees only their own)."""
    try:
        date = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        date = timezone.localdate()
    day = cashier.shifts_of_day(date=date, user=request.user)
    return render(
        request,
        "payments/cashier/shifts_day.html",
        {
            "day": day,
            "all_shifts": cashier.can_see_all_shifts(request.user),
            "previous": date - datetime.timedelta(days=1),
            "next": date + datetime.timedelta(days=1),
        },
    )


# --- Voids ----------------------------------------------------------------------------------------


@permission_required(TAKE_PAYMENT)
def payment_void(request: HttpRequest, receipt_number: str) -> HttpResponse:
    """Void a cash payment of today: the reason, and a supervisor's approval on the spot."""
    try:
        payment = selectors.payment_get(receipt_number=receipt_number)
    except Payment.DoesNotExist:
        raise Http404(_("No receipt has that number.")) from None
    form = VoidForm(request.POST or None, request=request)
    refusal = cashier.payment_void_refusal(payment=payment, cashier=request.user)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            cashier.payment_void(
                payment=payment,
                cashier=request.user,
                approver=form.approver,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(
                request,
                _("Payment %(receipt)s voided: give back %(amount)s. Its invoices are outstanding again.")
                % {"receipt": payment.receipt_number, "amount": format_rupiah(payment.amount)},
            )
            return redirect("payments:receipt", receipt_number=payment.receipt_number)
    return render(
        request,
        "payments/cashier/void.html",
        {
            "payment": payment,
            "form": form,
            "refusal": refusal,
            "shift": selectors.shift_open_for(cashier=request.user),
        },
    )
