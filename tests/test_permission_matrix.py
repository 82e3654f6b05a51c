"""Every URL × every persona: allowed (200), sent to login, or refused (403).

`test_matrix_covers_every_url` fails when a URL is added without joining this matrix.
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from arrears.models import LateFeeWaiver
from billing.models import BillRun, BillRunState, Invoice, InvoiceCorrection
from meters.models import ReadingImport
from payments import cashier, services
from payments.models import OnlineOrder, OrderState, ReviewItem, ReviewKind
from tests.billing.factories import TariffVersionFactory
from tests.conftest import PERSONAS
from tests.payments.factories import invoice_for

OK, LOGIN, DENIED, NOT_FOUND = 200, "login", 403, 404

EVERYONE = dict.fromkeys(PERSONAS, OK)
LOGGED_IN = {**EVERYONE, "anonymous": LOGIN}
STAFF = {
    "anonymous": LOGIN,
    "customer": DENIED,
    "other_customer": DENIED,
    "cs": OK,
    "cashier": OK,
    "manager": OK,
    "supervisor": OK,
    "admin": OK,
}
REGISTRY_EDITORS = {**STAFF, "cashier": DENIED, "manager": DENIED}
REPORT_READERS = {**STAFF, "cs": DENIED, "cashier": DENIED}
READING_ENTRY = REGISTRY_EDITORS
READING_VIEWERS = {**STAFF, "cashier": DENIED}
VERIFIERS = {**dict.fromkeys(PERSONAS, DENIED), "anonymous": LOGIN, "supervisor": OK, "admin": OK}
ADMINS = {**dict.fromkeys(PERSONAS, DENIED), "anonymous": LOGIN, "admin": OK}
TARIFF_READERS = {**STAFF, "cashier": DENIED}
RUN_READERS = {**VERIFIERS, "manager": OK}
INVOICE_READERS = STAFF
# A customer may open their own invoice's PDF; another customer is told it does not exist.
INVOICE_PDF = {**STAFF, "customer": OK, "other_customer": NOT_FOUND}
CORRECTORS = REGISTRY_EDITORS
RUN_STARTERS = VERIFIERS
TARIFF_EDITORS = {**ADMINS, "supervisor": OK}
# Customers only (my bills, adding a connection); staff are refused.
CUSTOMERS_ONLY = {**dict.fromkeys(PERSONAS, DENIED), "anonymous": LOGIN, "customer": OK, "other_customer": OK}
# Removing a connection from your account: only its holder; another customer is told it is not there.
OWN_CONNECTION = {**CUSTOMERS_ONLY, "other_customer": NOT_FOUND}
# Registration is open to anyone; a logged-in user is sent on to "add a connection".
REGISTER = {**CUSTOMERS_ONLY, "anonymous": OK}
# Cashier desk, own shift, voids: cashiers (and admins, who hold every permission).
CASHIERS = {**dict.fromkeys(PERSONAS, DENIED), "anonymous": LOGIN, "cashier": OK, "admin": OK}
SHIFT_READERS = {**CASHIERS, "manager": OK, "supervisor": OK}
# Receipts and online orders: staff who read payments and the customer whose connection it is
# (or the browser session that paid); anyone else is told it does not exist.
PAYMENT_OWNERS = {
    "anonymous": NOT_FOUND,
    "customer": OK,
    "other_customer": NOT_FOUND,
    "cs": OK,
    "cashier": OK,
    "manager": OK,
    "supervisor": OK,
    "admin": OK,
}
REPRINTERS = {**PAYMENT_OWNERS, "anonymous": LOGIN, "customer": DENIED, "other_customer": DENIED}
PAYMENT_REVIEWERS = VERIFIERS
# Midtrans posts notifications with no session: an empty body is refused as "not a notification".
NOTIFICATION = dict.fromkeys(PERSONAS, 400)
# The message outbox: CS and supervisors (and admins).
OUTBOX_READERS = {**STAFF, "cashier": DENIED, "manager": DENIED}
# Delivery statuses come signed from the providers; an unsigned post is refused, whoever sends it.
STATUS_CALLBACK = dict.fromkeys(PERSONAS, DENIED)

# Late fees: rules are read by managers and supervisors and set by supervisors; waivers are
# asked for by CS and supervisors, read by them and managers, approved by supervisors.
LATE_FEE_READERS = RUN_READERS
LATE_FEE_EDITORS = TARIFF_EDITORS
WAIVER_READERS = {**STAFF, "cashier": DENIED}
WAIVER_REQUESTERS = REGISTRY_EDITORS

# url name → (method, kwargs from the fixtures, expected outcome per persona)
MATRIX = {
    "home": ("get", {}, EVERYONE),
    "healthz": ("get", {}, EVERYONE),
    "dashboard": ("get", {}, LOGGED_IN),
    "login": ("get", {}, EVERYONE),
    "logout": ("post", {}, {**dict.fromkeys(PERSONAS, LOGIN)}),
    "password_change": ("get", {}, LOGGED_IN),
    "password_change_done": ("get", {}, LOGGED_IN),
    # Anyone may ask for a reset link (only customer accounts get one); a made-up link says so.
    "password_reset": ("get", {}, EVERYONE),
    "password_reset_done": ("get", {}, EVERYONE),
    "password_reset_confirm": ("get", {"uidb64": "reset_uid", "token": "reset_token"}, EVERYONE),
    "password_reset_complete": ("get", {}, EVERYONE),
    "set_language": ("post", {}, EVERYONE),
    "customers:search": ("get", {}, STAFF),
    "customers:create": ("get", {}, REGISTRY_EDITORS),
    "customers:overview": ("get", {}, REPORT_READERS),
    "customers:my_connections": ("get", {}, LOGGED_IN),
    "customers:detail": ("get", {"number": "customer"}, STAFF),
    "customers:edit": ("get", {"number": "customer"}, REGISTRY_EDITORS),
    "customers:status": ("get", {"number": "customer"}, REGISTRY_EDITORS),
    "customers:portal": ("get", {"number": "customer"}, REGISTRY_EDITORS),
    "customers:code_slip": ("get", {"number": "customer"}, REGISTRY_EDITORS),
    "meters:route_entry": ("get", {}, READING_ENTRY),
    "meters:route_entry_save": (
        "post",
        {"route": "route", "month": "month", "number": "customer"},
        READING_ENTRY,
    ),
    "meters:reading_single": ("get", {"number": "customer"}, READING_ENTRY),
    "meters:meter_install": ("get", {"number": "customer"}, READING_ENTRY),
    "meters:meter_replace": ("get", {"number": "customer"}, READING_ENTRY),
    "meters:reading_photo": ("get", {"pk": "reading"}, READING_VIEWERS),
    "meters:verify_queue": ("get", {}, VERIFIERS),
    "meters:verify_detail": ("get", {"pk": "reading"}, VERIFIERS),
    "billing:tariffs": ("get", {}, TARIFF_READERS),
    "billing:tariff_create": ("get", {}, TARIFF_EDITORS),
    "billing:tariff_detail": ("get", {"pk": "tariff_version"}, TARIFF_READERS),
    "billing:runs": ("get", {}, RUN_READERS),
    "billing:run_start": ("post", {}, RUN_STARTERS),
    "billing:run_preview": ("get", {"month": "month"}, RUN_STARTERS),
    "billing:run_release": ("post", {"pk": "bill_run"}, RUN_STARTERS),
    "billing:run_detail": ("get", {"pk": "bill_run"}, RUN_READERS),
    "billing:run_status": ("get", {"pk": "bill_run"}, RUN_READERS),
    "billing:run_resume": ("post", {"pk": "bill_run"}, RUN_STARTERS),
    "billing:period_close": ("get", {"month": "month"}, RUN_STARTERS),
    "meters:import_upload": ("get", {}, REGISTRY_EDITORS),
    "meters:import_detail": ("get", {"pk": "reading_import"}, REGISTRY_EDITORS),
    "meters:import_status": ("get", {"pk": "reading_import"}, REGISTRY_EDITORS),
    "meters:import_errors": ("get", {"pk": "reading_import"}, REGISTRY_EDITORS),
    "meters:dsml_pdf": ("get", {"route": "route", "month": "month"}, READING_VIEWERS),
    "meters:progress": ("get", {}, READING_VIEWERS),
    "billing:invoice_detail": ("get", {"number": "invoice"}, INVOICE_READERS),
    "billing:invoice_pdf": ("get", {"number": "invoice"}, INVOICE_PDF),
    "billing:route_batch_pdf": ("get", {"route": "route", "month": "month"}, INVOICE_READERS),
    "billing:drd": ("get", {}, INVOICE_READERS),
    "billing:drd_csv": ("get", {"month": "month"}, INVOICE_READERS),
    "billing:drd_xlsx": ("get", {"month": "month"}, INVOICE_READERS),
    "billing:correction_request": ("get", {"number": "invoice"}, CORRECTORS),
    "billing:corrections": ("get", {}, CORRECTORS),
    "billing:correction_detail": ("get", {"pk": "invoice_correction"}, CORRECTORS),
    "payments:register": ("get", {}, REGISTER),
    "payments:connection_add": ("get", {}, CUSTOMERS_ONLY),
    "payments:connection_remove": ("get", {"number": "customer"}, OWN_CONNECTION),
    "payments:one_time_code": ("get", {}, REGISTER),
    "payments:my_bills": ("get", {}, CUSTOMERS_ONLY),
    # Pay with no invoice chosen: back to the page it came from, with a message.
    "payments:pay": ("post", {}, EVERYONE),
    "payments:order": ("get", {"order_id": "order"}, PAYMENT_OWNERS),
    "payments:order_status": ("get", {"order_id": "order"}, PAYMENT_OWNERS),
    "payments:midtrans_notification": ("post", {}, NOTIFICATION),
    "payments:review": ("get", {}, PAYMENT_REVIEWERS),
    "payments:review_resolve": ("post", {"pk": "review_item"}, PAYMENT_REVIEWERS),
    "payments:credit_refund": ("get", {"number": "customer"}, PAYMENT_REVIEWERS),
    "payments:desk": ("get", {}, CASHIERS),
    "payments:desk_pay": ("post", {"number": "customer"}, CASHIERS),
    "payments:shift": ("get", {}, CASHIERS),
    "payments:shift_open": ("post", {}, CASHIERS),
    "payments:shift_close": ("post", {}, CASHIERS),
    "payments:shifts_day": ("get", {}, SHIFT_READERS),
    "payments:shift_report": ("get", {"pk": "shift"}, SHIFT_READERS),
    "payments:receipt": ("get", {"receipt_number": "receipt"}, PAYMENT_OWNERS),
    "payments:receipt_pdf": ("get", {"receipt_number": "receipt"}, PAYMENT_OWNERS),
    "payments:receipt_reprint": ("post", {"receipt_number": "receipt"}, REPRINTERS),
    "payments:payment_void": ("get", {"receipt_number": "receipt"}, CASHIERS),
    "messaging:outbox": ("get", {}, OUTBOX_READERS),
    "messaging:status_callback": ("post", {}, STATUS_CALLBACK),
    "arrears:rules": ("get", {}, LATE_FEE_READERS),
    "arrears:rule_create": ("get", {}, LATE_FEE_EDITORS),
    "arrears:waivers": ("get", {}, WAIVER_READERS),
    "arrears:waiver_request": ("get", {}, WAIVER_REQUESTERS),
    "arrears:waiver_detail": ("get", {"pk": "waiver"}, WAIVER_READERS),
    "admin:index": ("get", {}, ADMINS),
}


def _payment_values(customer, cashier_user) -> dict:
    """A cash receipt, a paid online order and a review item of the customer persona."""
    october = invoice_for(customer, datetime.date(2025, 10, 1), 52_100)
    shift = cashier.shift_open(cashier=cashier_user, opening_float=100_000)
    payment = services.cash_payment_take(
        cashier=cashier_user, customer=customer, invoice_ids=[october.pk], tendered=60_000
    )
    order = OnlineOrder.objects.create(
        order_id=f"PDAM-{customer.number}-MATRIX",
        customer=customer,
        gross_amount=52_100,
        invoice_key=str(october.pk),
        state=OrderState.PAID,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    item = ReviewItem.objects.create(kind=ReviewKind.OVERPAYMENT, customer=customer, amount=1_000)
    return {
        "receipt": payment.receipt_number,
        "shift": shift.pk,
        "order": order.order_id,
        "review_item": item.pk,
    }


def _named_urls(patterns, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin: its entry point is in the matrix, the rest is Django's.
            if pattern.namespace == "midtrans_sim":
                continue  # The Midtrans stand-in, only with DEBUG (tests/payments/test_gateway.py).
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _named_urls(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_matrix_covers_every_url():
    assert _named_urls(get_resolver().url_patterns) | {"admin:index"} == set(MATRIX)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("url_name", list(MATRIX))
def test_access(
    url_name, persona, persona_client, customer, other_customer, reading_with_photo, cs_user, cashier_user
):
    method, kwargs, expected = MATRIX[url_name]
    version = TariffVersionFactory(tariff_class=customer.tariff_class)
    invoice = Invoice.objects.create(
        number=f"{reading_with_photo.period.month:%Y%m}-{customer.number}",
        customer=customer,
        period=reading_with_photo.period,
        reading=reading_with_photo,
        tariff_version=version,
        tariff_class=customer.tariff_class,
        route=customer.route,
        usage_m3=25,
        billed_usage_m3=25,
        total=47_300,
        due_date=reading_with_photo.period.month.replace(day=20),
    )
    values = {
        "customer": customer.number,
        "route": customer.route_id,
        "month": reading_with_photo.period.month.strftime("%Y-%m"),
        "reading": reading_with_photo.pk,
        "tariff_version": version.pk,
        "invoice": invoice.number,
        "invoice_correction": InvoiceCorrection.objects.create(
            invoice=invoice, kind="other", reason="Salah golongan", requested_by=cs_user
        ).pk,
        "reading_import": ReadingImport.objects.create(filename="baca.csv", uploaded_by=cs_user).pk,
        "bill_run": BillRun.objects.create(period=reading_with_photo.period, state=BillRunState.DONE).pk,
        "waiver": LateFeeWaiver.objects.create(
            customer=customer, reason="Bencana banjir", requested_by=cs_user
        ).pk,
        "reset_uid": "MQ",
        "reset_token": "made-up-token",
        **_payment_values(customer, cashier_user),
    }
    url = reverse(url_name, kwargs={k: values[v] for k, v in kwargs.items()})
    client = persona_client(persona)
    data = {"language": "en", "next": "/"} if url_name == "set_language" else {}
    response = getattr(client, method)(url, data, follow=True)
    outcome = expected[persona]
    if outcome == LOGIN:
        assert response.status_code == 200
        assert response.request["PATH_INFO"] == reverse("login"), response.redirect_chain
    elif outcome != OK:
        assert response.status_code == outcome
    else:
        assert response.status_code == 200
        if url_name not in ("login", "logout"):
            assert response.request["PATH_INFO"] != reverse("login"), response.redirect_chain


def test_customer_sees_only_own_connections(persona_client, customer, other_customer):
    response = persona_client("customer").get(reverse("customers:my_connections"))
    assert customer.number in response.content.decode()
    assert other_customer.number not in response.content.decode()
