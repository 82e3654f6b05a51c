"""The staff page of payments that need a person: amount mismatches, overpayments (credit to
apply or refund), reversals by the gateway, notifications for unknown orders."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from customers.models import Customer
from payments import selectors, services
from payments.models import GatewayNotification, ReviewItem
from pdam.access import permission_required
from pdam.money import format_rupiah

REVIEW = "payments.review_payments"


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=gettext_lazy("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RefundForm(forms.Form):
    amount = forms.IntegerField(label=gettext_lazy("Amount (Rp)"), min_value=1)
    note = forms.CharField(label=gettext_lazy("How it was paid back"), max_length=500)


@permission_required(REVIEW)
def review_list(request: HttpRequest) -> HttpResponse:
    items = list(selectors.review_items_open()[:200])
    for item in items:
        item.credit = selectors.credit_balance(customer=item.customer_id) if item.customer_id else None
    return render(
        request,
        "payments/review.html",
        {
            "items": items,
            "resolved": ReviewItem.objects.filter(resolved_at__isnull=False)
            .select_related("customer", "order", "resolved_by")
            .order_by("-resolved_at")[:30],
            "notifications": GatewayNotification.objects.select_related("order").order_by("-received_at")[
                :30
            ],
            "form": ResolveForm(),
        },
    )


@require_POST
@permission_required(REVIEW)
def review_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ReviewItem, pk=pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            services.review_item_resolve(
                item=item, actor=request.user, resolution=form.cleaned_data["resolution"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Marked as resolved."))
    else:
        messages.error(request, _("Say what was done about it."))
    return redirect("payments:review")


@permission_required("payments.refund_credit")
def credit_refund(request: HttpRequest, number: str) -> HttpResponse:
    customer = get_object_or_404(Customer, number=number)
    balance = selectors.credit_balance(customer=customer)
    form = RefundForm(request.POST or None, initial={"amount": max(balance, 0) or None})
    if request.method == "POST" and form.is_valid():
        try:
            services.credit_refund(customer=customer, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Refund of %(amount)s to %(number)s recorded.")
                % {"amount": format_rupiah(form.cleaned_data["amount"]), "number": customer.number},
            )
            return redirect("payments:review")
    return render(
        request,
        "payments/credit_refund.html",
        {
            "customer": customer,
            "balance": balance,
            "entries": selectors.credit_entries(customer=customer),
            "form": form,
        },
    )
