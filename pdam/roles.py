"""Roles are Django groups; what each role may do is the set of permissions below.

Views check permissions (``user.has_perm``), never group names, so a role's reach is read here
in one place. Later issues add their permissions to these sets.
"""

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # Order matters: a user in several groups takes the first role listed here.
    ADMIN = "admin", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    MANAGER = "manager", _("Manager")
    CASHIER = "cashier", _("Cashier")
    CS = "cs", _("Customer service")
    CUSTOMER = "customer", _("Customer")


_CS = {
    "customers.view_customer",
    "customers.add_customer",
    "customers.change_customer",
    "customers.change_customer_status",
    "meters.view_meter",
    "meters.add_meter",
    "meters.change_meter",
    "meters.view_reading",
    "meters.add_reading",
    "meters.import_readings",
}
_READINGS_VIEW = {"meters.view_meter", "meters.view_reading"}

_TARIFFS_VIEW = {"billing.view_tariffversion"}
_CORRECTIONS = {"billing.add_invoicecorrection", "billing.view_invoicecorrection"}
# Every staff role reads invoices: CS explains them, cashiers take payment for them,
# managers and supervisors report on them.
_INVOICES_VIEW = {"billing.view_invoice"}

# Payments and shifts are read by every staff role but CS's (CS sees them on the customer page).
_PAYMENTS_VIEW = {"payments.view_payment", "payments.view_cashiershift"}
# The message outbox: CS answers "did you send it?", supervisors watch delivery.
_OUTBOX_VIEW = {"pdam.view_message"}
_PAYMENTS_REVIEW = {"payments.review_payments", "payments.refund_credit", "payments.approve_void"}

# Late fees (denda): rules are read by managers and set by supervisors; CS asks for a waiver
# (pemutihan), a supervisor approves it (never their own request).
_LATE_FEES_VIEW = {"arrears.view_latefeerule", "arrears.view_latefeewaiver"}
_WAIVER_REQUEST = {"arrears.view_latefeewaiver", "arrears.request_waiver"}

ROLE_PERMISSIONS: dict[Role, set[str]] = {
    Role.CUSTOMER: set(),
    Role.CS: _CS
    | _TARIFFS_VIEW
    | _CORRECTIONS
    | _INVOICES_VIEW
    | {"payments.view_payment"}
    | _WAIVER_REQUEST
    | _OUTBOX_VIEW,
    Role.CASHIER: {"customers.view_customer", "payments.take_payment"} | _INVOICES_VIEW | _PAYMENTS_VIEW,
    Role.MANAGER: {"customers.view_customer", "customers.view_registry_report", "billing.view_billrun"}
    | _READINGS_VIEW
    | _TARIFFS_VIEW
    | _INVOICES_VIEW
    | _PAYMENTS_VIEW
    | _LATE_FEES_VIEW,
    Role.SUPERVISOR: _CS
    | {
        "customers.view_registry_report",
        "meters.verify_reading",
        "billing.add_tariffversion",
        "billing.view_billrun",
        "billing.run_billing",
        "billing.approve_invoicecorrection",
    }
    | _TARIFFS_VIEW
    | _CORRECTIONS
    | _INVOICES_VIEW
    | _PAYMENTS_VIEW
    | _PAYMENTS_REVIEW
    | _OUTBOX_VIEW
    | _LATE_FEES_VIEW
    | _WAIVER_REQUEST
    | {"arrears.manage_late_fees", "arrears.approve_waiver"},
    Role.ADMIN: set(),  # every permission, see roles_sync
}

# Where each role lands after login (URL names).
ROLE_HOME: dict[Role, str] = {
    Role.ADMIN: "admin:index",
    Role.SUPERVISOR: "customers:overview",
    Role.MANAGER: "customers:overview",
    Role.CASHIER: "payments:desk",
    Role.CS: "customers:search",
    Role.CUSTOMER: "payments:my_bills",
}

STAFF_ROLES = {Role.ADMIN, Role.SUPERVISOR, Role.MANAGER, Role.CASHIER, Role.CS}


def user_role(user) -> Role | None:
    """The user's role: the first of `Role` among their groups; superusers are admins."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    cached = getattr(user, "_pdam_role", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in Role if r.value in names), None)
    user._pdam_role = role
    return role


def _permissions(codes: set[str]) -> list[Permission]:
    query = Q(pk__in=[])
    for code in codes:
        app_label, codename = code.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query))
    missing = codes - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise LookupError(f"Unknown permissions in ROLE_PERMISSIONS: {sorted(missing)}")
    return found


def roles_sync() -> None:
    """Create one group per role and give it exactly the permissions of `ROLE_PERMISSIONS`."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        if role is Role.ADMIN:
            group.permissions.set(Permission.objects.all())
        else:
            group.permissions.set(_permissions(ROLE_PERMISSIONS[role]))


def roles_sync_after_migrate(sender, using="default", **kwargs) -> None:
    if using != "default":
        return
    roles_sync()


def user_create(*, username: str, password: str, role: Role, **fields):
    """Create a login with exactly one role. Only admins get into Django's admin site."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username=username, password=password, is_staff=role is Role.ADMIN, **fields
    )
    user.groups.add(Group.objects.get(name=role.value))
    return user
