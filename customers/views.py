from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from customers import selectors, services
from customers.codes import registration_code_display
from customers.extensions import customer_sections
from customers.forms import (
    CustomerEditForm,
    CustomerForm,
    CustomerSearchForm,
    PortalReasonForm,
    StatusChangeForm,
)
from customers.models import Customer
from pdam.access import login_required, permission_required
from pdam.forms import form_add_errors


def _customer_or_404(number: str) -> Customer:
    try:
        return selectors.customer_get(number=number)
    except Customer.DoesNotExist:
        raise Http404(_("No customer has that number.")) from None


@permission_required("customers.view_customer")
def customer_search(request: HttpRequest) -> HttpResponse:
    form = CustomerSearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        results = list(selectors.customer_search(query=form.cleaned_data["q"]))
        if len(results) == 1 and form.cleaned_data["q"].strip().isdigit():
            return redirect("customers:detail", number=results[0].number)
    return render(
        request,
        "customers/search.html",
        {"form": form, "results": results, "limit": selectors.SEARCH_LIMIT},
    )


@permission_required("customers.add_customer")
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Customer %(number)s registered.") % {"number": customer.number})
            return redirect("customers:detail", number=customer.number)
    return render(request, "customers/form.html", {"form": form, "title": _("New customer")})


@permission_required("customers.view_customer")
def customer_detail(request: HttpRequest, number: str) -> HttpResponse:
    customer = _customer_or_404(number)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "status_changes": customer.status_changes.select_related("changed_by")[:50],
            "history": selectors.customer_history(customer=customer),
            "sections": customer_sections(request, customer),
        },
    )


@permission_required("customers.change_customer")
def customer_edit(request: HttpRequest, number: str) -> HttpResponse:
    customer = _customer_or_404(number)
    form = CustomerEditForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            services.customer_update(actor=request.user, customer=customer, reason=reason, **data)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Customer data saved."))
            return redirect("customers:detail", number=customer.number)
    return render(
        request,
        "customers/form.html",
        {"form": form, "customer": customer, "title": _("Edit customer %(number)s") % {"number": number}},
    )


@permission_required("customers.change_customer_status")
def customer_status(request: HttpRequest, number: str) -> HttpResponse:
    customer = _customer_or_404(number)
    form = StatusChangeForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_change_status(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(
                request, _("Status changed to %(status)s.") % {"status": customer.get_status_display()}
            )
            return redirect("customers:detail", number=customer.number)
    return render(request, "customers/status.html", {"form": form, "customer": customer})


@permission_required("customers.change_customer")
def customer_portal(request: HttpRequest, number: str) -> HttpResponse:
    """CS: the connection's portal account, its unlinking, and the bill's registration code."""
    customer = _customer_or_404(number)
    form = PortalReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
        try:
            if action == "unlink":
                services.customer_portal_unlink(customer=customer, actor=request.user, reason=reason)
                messages.success(request, _("The connection was taken out of the portal account."))
            else:
                services.registration_code_rotate(customer=customer, actor=request.user, reason=reason)
                messages.success(request, _("A new registration code was made; the old one no longer works."))
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            return redirect("customers:portal", number=customer.number)
    return render(request, "customers/portal.html", {"customer": customer, "form": form})


@permission_required("customers.change_customer")
def customer_code_slip(request: HttpRequest, number: str) -> HttpResponse:
    """A printable slip with the registration code, handed to the customer at the counter."""
    customer = _customer_or_404(number)
    return render(
        request,
        "customers/code_slip.html",
        {"customer": customer, "code": registration_code_display(customer.registration_code)},
    )


@permission_required("customers.view_registry_report")
def registry_overview(request: HttpRequest) -> HttpResponse:
    return render(request, "customers/overview.html", selectors.registry_overview())


@login_required
def my_connections(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "customers/my_connections.html",
        {"connections": selectors.customers_for_user(user=request.user)},
    )
