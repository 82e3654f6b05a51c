"""Customer accounts: registering with a proof of the connection, adding connections, my bills."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from payments import accounts, selectors
from payments.forms_public import (
    ConnectionProofForm,
    ConnectionRemoveForm,
    OneTimeCodeRequestForm,
    RegisterForm,
)
from pdam.client_ip import client_ip
from pdam.forms import form_add_errors
from pdam.roles import Role, user_role


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Customers only: anonymous visitors log in first, staff are refused (their work is on the
    customer pages, not here)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user_role(request.user) is not Role.CUSTOMER:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _ip(request: HttpRequest) -> str:
    return client_ip(request)


@never_cache
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("payments:connection_add")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = accounts.account_register(
                number=data["number"],
                code=data["code"],
                email=data["email"],
                password=data["password1"],
                ip=_ip(request),
            )
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome! Your account is ready and holds connection %(number)s.")
                % {"number": data["number"]},
            )
            return redirect("payments:my_bills")
    return render(request, "payments/register.html", {"form": form})


@customer_required
@never_cache
def connection_add(request: HttpRequest) -> HttpResponse:
    form = ConnectionProofForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = accounts.connection_add(
                user=request.user,
                number=form.cleaned_data["number"],
                code=form.cleaned_data["code"],
                ip=_ip(request),
            )
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(
                request, _("Connection %(number)s is now in your account.") % {"number": customer.number}
            )
            return redirect("payments:my_bills")
    return render(request, "payments/connection_add.html", {"form": form})


@never_cache
def one_time_code(request: HttpRequest) -> HttpResponse:
    """Ask for a one-time code by e-mail: anonymous visitors (registering) and customers (adding a
    connection). Every number gets the same answer."""
    if request.user.is_authenticated and user_role(request.user) is not Role.CUSTOMER:
        raise PermissionDenied
    back = "payments:connection_add" if request.user.is_authenticated else "payments:register"
    form = OneTimeCodeRequestForm(request.POST or None)
    answer = None
    if request.method == "POST" and form.is_valid():
        answer = accounts.one_time_code_request(number=form.cleaned_data["number"], ip=_ip(request))
        if not answer.throttled:
            messages.info(request, answer.message)
            return redirect(back)
    return render(
        request,
        "payments/one_time_code.html",
        {"form": form, "answer": answer, "back": back},
        status=429 if answer is not None else 200,
    )


@customer_required
@never_cache
def my_bills(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/my_bills.html", {"connections": accounts.my_bills(user=request.user)})


@customer_required
@never_cache
def connection_remove(request: HttpRequest, number: str) -> HttpResponse:
    """Take one of your own connections out of your account, with a reason."""
    customer = selectors.connection_of(user=request.user, number=number)
    if customer is None:
        raise Http404
    form = ConnectionRemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reason = form.cleaned_data["reason"]
            accounts.connection_remove(user=request.user, customer=customer, reason=reason)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(
                request,
                _("Connection %(number)s is no longer in your account.") % {"number": customer.number},
            )
            return redirect("payments:my_bills")
    return render(request, "payments/connection_remove.html", {"form": form, "customer": customer})
