"""Writes to the customer registry. Each service owns its transaction and its audit rows."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.codes import registration_code_new
from customers.models import Customer, CustomerStatus, CustomerStatusChange, Route, TariffClass, Zone
from pdam.audit import audit_entries_for, audit_record, field_changes

NUMBER_SEQUENCE_DIGITS = 8

# Which status may follow which. Closed is final: a closed connection is reopened as a new one.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    CustomerStatus.ACTIVE: {CustomerStatus.SEALED, CustomerStatus.DISCONNECTED, CustomerStatus.CLOSED},
    CustomerStatus.SEALED: {CustomerStatus.ACTIVE, CustomerStatus.DISCONNECTED, CustomerStatus.CLOSED},
    CustomerStatus.DISCONNECTED: {CustomerStatus.ACTIVE, CustomerStatus.CLOSED},
    CustomerStatus.CLOSED: set(),
}

# The fields CS staff edit, in the order the audit trail lists them.
EDITABLE_FIELDS = [
    "name",
    "address",
    "phone",
    "email",
    "message_channel",
    "messages_opt_out",
    "route",
    "route_sequence",
    "tariff_class",
]


def _display(customer: Customer) -> dict:
    return {
        "name": customer.name,
        "address": customer.address,
        "phone": customer.phone,
        "email": customer.email,
        "message_channel": customer.get_message_channel_display(),
        "messages_opt_out": customer.messages_opt_out,
        "route": str(customer.route),
        "route_sequence": customer.route_sequence,
        "tariff_class": str(customer.tariff_class),
    }


def customer_number_next(*, zone: Zone) -> str:
    """The next free number in a zone: the zone code and an 8-digit sequence.

    Call inside a transaction that has locked the zone row, so two clerks never get one number.
    """
    last = (
        Customer.objects.filter(number__startswith=zone.code, number__regex=r"^\d{10}$")
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last[len(zone.code) :]) + 1 if last else 1
    if sequence >= 10**NUMBER_SEQUENCE_DIGITS:
        raise ValidationError(_("Zone %(zone)s has no customer numbers left.") % {"zone": zone.code})
    return f"{zone.code}{sequence:0{NUMBER_SEQUENCE_DIGITS}d}"


def customer_create(
    *,
    actor,
    name: str,
    address: str,
    route: Route,
    route_sequence: int,
    tariff_class: TariffClass,
    connected_on: datetime.date,
    phone: str = "",
    email: str = "",
) -> Customer:
    """Register a new connection; it gets the next customer number of its route's zone."""
    if connected_on > timezone.localdate():
        raise ValidationError({"connected_on": _("The connection date cannot be in the future.")})
    if connected_on.year < settings.UTILITY_FOUNDED_YEAR:
        raise ValidationError(
            {
                "connected_on": _("The connection date cannot be before the utility was founded (%(year)s).")
                % {"year": settings.UTILITY_FOUNDED_YEAR}
            }
        )
    with transaction.atomic():
        zone = Zone.objects.select_for_update().get(pk=route.zone_id)
        customer = Customer(
            number=customer_number_next(zone=zone),
            name=name.strip(),
            address=address.strip(),
            phone=phone.strip(),
            email=email.strip(),
            route=route,
            route_sequence=route_sequence,
            tariff_class=tariff_class,
            connected_on=connected_on,
            status=CustomerStatus.ACTIVE,
        )
        customer.full_clean()
        customer.save()
        audit_record(
            actor=actor,
            action="customer.create",
            obj=customer,
            changes=field_changes({}, {"number": customer.number, **_display(customer)}),
            reason=_("New connection"),
        )
    return customer


def customer_update(*, actor, customer: Customer, reason: str, **fields) -> Customer:
    """Change registry fields of a customer; records each changed field with the reason."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable here: {sorted(unknown)}")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the data changes.")})
    with transaction.atomic():
        locked = (
            Customer.objects.select_related("route", "tariff_class").select_for_update().get(pk=customer.pk)
        )
        before = _display(locked)
        for name, value in fields.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        locked.full_clean()
        changes = field_changes(before, _display(locked))
        if not changes:
            return locked
        locked.save(update_fields=list(fields))
        audit_record(
            actor=actor, action="customer.update", obj=locked, changes=changes, reason=reason.strip()
        )
    return locked


def customer_change_status(
    *,
    actor,
    customer: Customer,
    to_status: str,
    effective_on: datetime.date,
    reason: str,
) -> CustomerStatusChange:
    """Move a connection to another status (seal, disconnect, reconnect, close), dated, with why."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the status changes.")})
    if effective_on > timezone.localdate():
        raise ValidationError({"effective_on": _("The effective date cannot be in the future.")})
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if to_status not in STATUS_TRANSITIONS[locked.status]:
            raise ValidationError(
                {
                    "to_status": _("A customer who is %(from)s cannot become %(to)s.")
                    % {
                        "from": CustomerStatus(locked.status).label.lower(),
                        "to": CustomerStatus(to_status).label.lower(),
                    }
                }
            )
        last = locked.status_changes.order_by("-effective_on").values_list("effective_on", flat=True).first()
        earliest = last or locked.connected_on
        if effective_on < earliest:
            raise ValidationError(
                {"effective_on": _("The effective date cannot be before %(date)s.") % {"date": earliest}}
            )
        change = CustomerStatusChange.objects.create(
            customer=locked,
            from_status=locked.status,
            to_status=to_status,
            effective_on=effective_on,
            reason=reason.strip(),
            changed_by=actor,
        )
        audit_record(
            actor=actor,
            action="customer.status",
            obj=locked,
            changes={
                "status": [locked.status, to_status],
                "effective_on": [None, effective_on.isoformat()],
            },
            reason=reason.strip(),
        )
        locked.status = to_status
        locked.save(update_fields=["status"])
    customer.status = to_status
    return change


def registration_code_rotate(*, customer: Customer, actor, reason: str) -> Customer:
    """Give the connection a new registration code; the old one stops working at once.

    For a code seen by someone else (a lost bill, a hijacked account). Audited without the codes
    themselves: the audit log is read by more people than should link connections.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the registration code is replaced.")})
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        customer.registration_code = registration_code_new()
        customer.save(update_fields=["registration_code"])
        audit_record(actor=actor, action="customer.registration_code_rotate", obj=customer, reason=reason)
    return customer


def _portal_holder_notify(*, email: str, subject: str, body: str) -> None:
    """E-mail a portal account holder once the transaction has committed (never on a rollback)."""
    if not email:
        return
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=True)
    )


def customer_portal_unlink(*, customer: Customer, actor, reason: str) -> Customer:
    """Take the connection out of the portal account that holds it (a hijacked or sold house).

    The holder is told by e-mail; whoever holds the bill's registration code can then link it
    again. Audited with the account that held it.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the connection is taken out of the account.")})
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        holder = customer.user
        if holder is None:
            raise ValidationError(_("This connection is not linked to any portal account."))
        customer.user = None
        customer.save(update_fields=["user"])
        audit_record(
            actor=actor,
            action="customer.portal_unlink",
            obj=customer,
            changes={"user": [holder.get_username(), None]},
            reason=reason,
        )
        _portal_holder_notify(
            email=holder.email,
            subject=_("Connection %(number)s removed from your account") % {"number": customer.number},
            body=_(
                "Connection %(number)s is no longer in your portal account at %(utility)s. If you did "
                "not ask for this, contact our customer service and bring your latest water bill."
            )
            % {"number": customer.number, "utility": settings.UTILITY_NAME},
        )
    return customer


def customer_portal_linked_notify(*, customer: Customer, new_user) -> None:
    """Tell the account that last held `customer` (before an unlink) that another account holds it now.

    Call inside the linking transaction: the e-mail goes once it commits.
    """
    last_unlink = audit_entries_for(customer).filter(action="customer.portal_unlink").order_by("-pk").first()
    if last_unlink is None:
        return
    previous = (last_unlink.changes.get("user") or [None])[0]
    if not previous or previous == new_user.get_username():
        return
    User = get_user_model()
    holder = User.objects.filter(username=previous).first()
    if holder is None:
        return
    _portal_holder_notify(
        email=holder.email,
        subject=_("Connection %(number)s linked to another account") % {"number": customer.number},
        body=_(
            "Connection %(number)s, which was in your portal account at %(utility)s, is now linked to "
            "another account. If you did not expect this, contact our customer service and bring your "
            "latest water bill."
        )
        % {"number": customer.number, "utility": settings.UTILITY_NAME},
    )
