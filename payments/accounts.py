"""The customer's side: the public bill check, self-registration, connections proven by a bill,
and "my bills".

Two things here stop strangers from learning about customers:

- The public bill check shows a masked name, the area and amounts only, and is rate-limited per
  address (`BILL_CHECK_LIMIT` lookups per `BILL_CHECK_WINDOW_SECONDS`), found or not.
- Linking a connection to an account needs a proof only the customer has: the connection's
  registration code, printed on every bill and never shown on a public page, or a one-time code
  e-mailed to the address on file (asked for by number; the answer never tells whether the
  number exists or has an address). Proof attempts are
  counted per customer number and per address; past the limit every attempt is refused, right or
  wrong, until the window ends, so the code cannot be guessed.

Attempts are counted by `pdam.throttle` (django-ratelimit, in the shared cache) before they are
judged, so parallel requests cannot slip past a limit.
"""

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.models import Invoice
from customers.codes import registration_code_matches, registration_code_new
from customers.models import Customer, CustomerStatus
from customers.services import customer_portal_linked_notify, customer_portal_unlink
from payments.masking import mask_email, mask_name
from payments.models import (
    LIVE_ORDER_STATES,
    CreditEntry,
    OneTimeCode,
    OrderInvoice,
    Payment,
    PaymentAllocation,
)
from payments.selectors import invoices_outstanding, invoices_outstanding_of, invoices_surcharges
from pdam.audit import audit_record
from pdam.messaging.models import MessageChannel, MessageKind
from pdam.messaging.services import Recipient, message_queue
from pdam.roles import Role, user_create
from pdam.throttle import Throttle, throttle_hit

# "My bills" shows this much history per connection.
HISTORY_DAYS = 2 * 366


def _setting(name: str) -> int:
    return int(getattr(settings, name))


def bill_check_limit() -> int:
    return _setting("BILL_CHECK_LIMIT")


def bill_check_window() -> int:
    return _setting("BILL_CHECK_WINDOW_SECONDS")


def proof_failure_limit() -> int:
    """Proof attempts allowed per customer number in one window."""
    return _setting("CONNECTION_PROOF_FAILURE_LIMIT")


def proof_ip_failure_limit() -> int:
    """Proof attempts allowed per address in one window (someone trying many numbers)."""
    return _setting("CONNECTION_PROOF_IP_FAILURE_LIMIT")


def proof_window() -> int:
    return _setting("CONNECTION_PROOF_WINDOW_SECONDS")


def bill_check_count(*, ip: str) -> Throttle:
    """Count one bill check from `ip` (found or not); refused past the limit."""
    return throttle_hit(scope="billcheck", ident=ip, limit=bill_check_limit(), window=bill_check_window())


# --- The public bill check -----------------------------------------------------------------------


@dataclass
class InvoiceDue:
    invoice: Invoice
    amount_due: int  # the invoice's total plus its denda
    overdue: bool
    payment_pending: bool = False
    surcharge: int = 0  # denda


@dataclass
class OutstandingBills:
    invoices: list[InvoiceDue]

    @property
    def total(self) -> int:
        return sum(row.amount_due for row in self.invoices)


@dataclass
class BillCheck:
    """What an anonymous visitor may learn about a connection."""

    number: str
    masked_name: str
    area: str
    status: str
    status_label: str
    outstanding: OutstandingBills

    @property
    def connected(self) -> bool:
        return self.status == CustomerStatus.ACTIVE


def _invoices_with_live_order(invoice_ids: list[int]) -> set[int]:
    """Those of `invoice_ids` that an online order is waiting on ("payment in progress")."""
    if not invoice_ids:
        return set()
    return set(
        OrderInvoice.objects.filter(
            invoice_id__in=invoice_ids, order__state__in=LIVE_ORDER_STATES
        ).values_list("invoice_id", flat=True)
    )


def _invoices_due(invoices: list[Invoice], *, today: datetime.date) -> OutstandingBills:
    pending = _invoices_with_live_order([invoice.pk for invoice in invoices])
    surcharges = invoices_surcharges(invoices)
    return OutstandingBills(
        invoices=[
            InvoiceDue(
                invoice=invoice,
                amount_due=invoice.total + surcharges[invoice.pk],
                overdue=invoice.due_date < today,
                payment_pending=invoice.pk in pending,
                surcharge=surcharges[invoice.pk],
            )
            for invoice in invoices
        ]
    )


def bill_check(*, number: str) -> BillCheck | None:
    """The public answer for a customer number, or None when no connection has it.

    An unknown number runs the same invoice query as a known one, so that the answer takes about
    as long either way.
    """
    customer = Customer.objects.select_related("route__zone").filter(number=number).first()
    invoices = list(invoices_outstanding(customer=customer.pk if customer else 0))
    if customer is None:
        return None
    return BillCheck(
        number=customer.number,
        masked_name=mask_name(customer.name),
        area=customer.route.zone.name,
        status=customer.status,
        status_label=customer.get_status_display(),
        outstanding=_invoices_due(invoices, today=timezone.localdate()),
    )


# --- Proving a connection ------------------------------------------------------------------------


def _proof_refused_message() -> str:
    return _(
        "The customer number and the registration code do not match. Type the registration code "
        "printed on your water bill for this connection."
    )


def _one_time_code_refused_message() -> str:
    return _(
        "This one-time code is wrong, expired or already used. Ask for a new code, or type the "
        "registration code printed on your water bill."
    )


def _proof_throttled_message() -> str:
    minutes = max(1, round(proof_window() / 60))
    return _(
        "Too many wrong attempts for this customer number or from your connection. Try again in "
        "%(minutes)s minutes, or bring your bill to our customer service."
    ) % {"minutes": minutes}


# --- One-time codes by e-mail (the second proof) ---------------------------------------------------

ONE_TIME_CODE_LENGTH = 6  # digits; a registration code has 10 characters, so the two never mix


def one_time_code_ttl() -> int:
    return _setting("ONE_TIME_CODE_TTL_SECONDS")


def one_time_code_max_attempts() -> int:
    return _setting("ONE_TIME_CODE_MAX_ATTEMPTS")


def one_time_code_request_window() -> int:
    return _setting("ONE_TIME_CODE_REQUEST_WINDOW_SECONDS")


def is_one_time_code(code: str) -> bool:
    """Whether a typed proof (normalized) has the shape of an e-mailed code rather than a bill's."""
    return len(code) == ONE_TIME_CODE_LENGTH and code.isdigit()


def _one_time_code_hash(*, customer_id: int, code: str) -> str:
    # Keyed and bound to the connection: a leaked table gives neither the codes nor a lookup table.
    message = f"one-time-code:{customer_id}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def one_time_code_sent_message() -> str:
    """The one answer to every request, whether or not the number exists or has an address."""
    minutes = max(1, round(one_time_code_ttl() / 60))
    return _(
        "If this customer number has an e-mail address on file, we have sent a one-time code to it. "
        "The code works once, for %(minutes)s minutes. Type it in the registration code field."
    ) % {"minutes": minutes}


@dataclass(frozen=True)
class OneTimeCodeRequest:
    throttled: bool
    message: str


def one_time_code_request(*, number: str, ip: str) -> OneTimeCodeRequest:
    """Send a one-time code to the e-mail address on file for connection `number`.

    Counted per number and per address before the number is looked up, so an unknown number,
    a number without an address and a known one get the same answer and the same limits. A new
    code replaces any earlier one; the mail goes once the transaction commits.
    """
    window = one_time_code_request_window()
    by_number = throttle_hit(
        scope="otp-request-number", ident=number, limit=_setting("ONE_TIME_CODE_REQUEST_LIMIT"), window=window
    )
    by_ip = throttle_hit(
        scope="otp-request-ip", ident=ip, limit=_setting("ONE_TIME_CODE_REQUEST_IP_LIMIT"), window=window
    )
    if not (by_number.allowed and by_ip.allowed):
        minutes = max(1, round(max(by_number.retry_after, by_ip.retry_after) / 60))
        return OneTimeCodeRequest(
            throttled=True,
            message=_(
                "Too many codes were asked for this customer number or from your connection. Try "
                "again in %(minutes)s minutes, or use the registration code printed on your bill."
            )
            % {"minutes": minutes},
        )
    customer = Customer.objects.filter(number=number).first()
    if customer is not None and customer.email:
        _one_time_code_issue(customer=customer)
    return OneTimeCodeRequest(throttled=False, message=one_time_code_sent_message())


def one_time_code_new() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(ONE_TIME_CODE_LENGTH))


def _one_time_code_issue(*, customer: Customer) -> None:
    code = one_time_code_new()
    now = timezone.now()
    address = customer.email
    with transaction.atomic():
        # One row per connection at most: the new code replaces every earlier one, used or not.
        OneTimeCode.objects.filter(customer=customer).delete()
        row = OneTimeCode.objects.create(
            customer=customer,
            code_hash=_one_time_code_hash(customer_id=customer.pk, code=code),
            created_at=now,
            expires_at=now + datetime.timedelta(seconds=one_time_code_ttl()),
        )
        audit_record(
            actor=None,
            action="customer.one_time_code_sent",
            obj=customer,
            changes={"email": mask_email(address)},
        )
        # Through the outbox as a secret: sent on commit, and the code is not kept once sent.
        message_queue(
            recipient=Recipient(
                channel=MessageChannel.EMAIL, address=address, name=f"{customer.number} {customer.name}"
            ),
            template="one_time_code",
            key=f"one_time_code:{row.pk}",
            kind=MessageKind.SERVICE,
            secret=True,
            language=translation.get_language() or settings.LANGUAGE_CODE,  # the asker's language
            context={
                "customer_number": customer.number,
                "code": code,
                "minutes": max(1, round(one_time_code_ttl() / 60)),
            },
        )


def _one_time_code_use(*, customer: Customer | None, code: str) -> bool:
    """Spend the live one-time code of `customer` when `code` is it; a wrong code counts a try.

    The code row is locked, so two requests with the same code cannot both succeed.
    """
    if customer is None:
        _one_time_code_hash(customer_id=0, code=code)  # about the same work as a known number
        return False
    now = timezone.now()
    with transaction.atomic():
        live = (
            OneTimeCode.objects.select_for_update()
            .filter(
                customer=customer,
                used_at__isnull=True,
                expires_at__gt=now,
                attempts__lt=one_time_code_max_attempts(),
            )
            .order_by("-created_at")
            .first()
        )
        if live is None:
            return False
        expected = _one_time_code_hash(customer_id=customer.pk, code=code)
        if not hmac.compare_digest(live.code_hash.encode(), expected.encode()):
            live.attempts += 1
            live.save(update_fields=["attempts"])
            return False
        live.used_at = now
        live.save(update_fields=["used_at"])
    return True


def _customer_proven(*, number: str, code: str, ip: str) -> Customer:
    """The connection `number` when `code` is its registration code (printed on its bills) or the
    one-time code just e-mailed to its address on file.

    Amounts are no proof: the public bill check shows them to anyone. The code is compared in
    constant time. Every refusal counts against the number and the address, an unknown number too
    (so the answer does not tell whether a number exists); past either limit all attempts are
    refused.
    """
    # Every attempt is counted before it is judged (atomically, in the shared cache), so a burst
    # of parallel guesses cannot all slip under the limit; a right proof past it is refused too.
    window = proof_window()
    by_number = throttle_hit(scope="proof-number", ident=number, limit=proof_failure_limit(), window=window)
    by_ip = throttle_hit(scope="proof-ip", ident=ip, limit=proof_ip_failure_limit(), window=window)
    if not (by_number.allowed and by_ip.allowed):
        raise ValidationError(_proof_throttled_message(), code="throttled")
    customer = Customer.objects.filter(number=number).first()
    if is_one_time_code(code):
        proven = _one_time_code_use(customer=customer, code=code)
    else:
        stored = customer.registration_code if customer else registration_code_new()
        proven = registration_code_matches(stored, code)
    if not proven or customer is None:
        message = _one_time_code_refused_message() if is_one_time_code(code) else _proof_refused_message()
        raise ValidationError({"code": ValidationError(message, code="proof")})
    return customer


def _link(*, customer_id: int, user, reason: str) -> Customer:
    """Link the connection to `user` under a row lock. Call inside a transaction."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if customer.user_id == user.pk:
        raise ValidationError(
            {"number": ValidationError(_("This connection is already in your account."), code="linked")}
        )
    if customer.user_id is not None:
        raise ValidationError(
            {
                "number": ValidationError(
                    _(
                        "This connection is already linked to another portal account. If that is not "
                        "yours, please contact our customer service."
                    ),
                    code="linked_elsewhere",
                )
            }
        )
    customer.user = user
    customer.save(update_fields=["user"])
    audit_record(
        actor=user,
        action="customer.portal_link",
        obj=customer,
        changes={"user": [None, user.get_username()]},
        reason=reason,
    )
    customer_portal_linked_notify(customer=customer, new_user=user)
    return customer


def _email_taken(email: str) -> bool:
    User = get_user_model()
    return User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists()


def _email_taken_error() -> ValidationError:
    return ValidationError(
        {
            "email": ValidationError(
                _("An account with this email address already exists. Log in, or use another address."),
                code="email_taken",
            )
        }
    )


def account_register(*, number: str, code: str, email: str, password: str, ip: str):
    """Create a customer's portal account (login = the email address) holding connection `number`.

    `password` has passed the password validators (the form runs them). Raises ValidationError,
    with nothing changed, for a wrong proof, a connection linked to another account or an email
    address already in use.
    """
    email = email.strip().lower()
    customer = _customer_proven(number=number, code=code, ip=ip)
    if customer.user_id is None and _email_taken(email):
        raise _email_taken_error()
    try:
        with transaction.atomic():
            user = user_create(username=email, password=password, role=Role.CUSTOMER, email=email)
            _link(customer_id=customer.pk, user=user, reason="self-registration")
    except IntegrityError:  # the same address registered a moment ago
        raise _email_taken_error() from None
    return user


def connection_add(*, user, number: str, code: str, ip: str) -> Customer:
    """Add connection `number` to a customer's account (a landlord's second house), with the same
    proof as registration."""
    customer = _customer_proven(number=number, code=code, ip=ip)
    with transaction.atomic():
        customer = _link(customer_id=customer.pk, user=user, reason="added by the customer")
    return customer


def connection_remove(*, user, customer: Customer, reason: str) -> Customer:
    """The account holder takes connection `customer` out of their own account (a house sold or
    let), with a reason; audited and e-mailed like an unlink by customer service."""
    if customer.user_id != user.pk:
        raise ValidationError(_("This connection is not in your account."))
    return customer_portal_unlink(customer=customer, actor=user, reason=reason)


# --- My bills --------------------------------------------------------------------------------------


@dataclass
class ConnectionBills:
    customer: Customer
    outstanding: OutstandingBills
    paid: list[PaymentAllocation] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    credit: int = 0


def my_bills(*, user) -> list[ConnectionBills]:
    """Every connection `user` holds, with what is owed, what was paid and how.

    A fixed number of queries however many connections (a landlord's account) and invoices.
    """
    customers = list(
        Customer.objects.filter(user=user).select_related("route__zone", "tariff_class").order_by("number")
    )
    if not customers:
        return []
    ids = [customer.pk for customer in customers]
    since = timezone.now() - datetime.timedelta(days=HISTORY_DAYS)
    outstanding = list(invoices_outstanding_of(customer_ids=ids))
    paid = list(
        PaymentAllocation.objects.filter(
            invoice__customer_id__in=ids, released_at__isnull=True, payment__paid_at__gte=since
        )
        .select_related("invoice__period", "payment")
        .order_by("-invoice__period__month", "-invoice__number")
    )
    payments = list(
        Payment.objects.filter(customer_id__in=ids, paid_at__gte=since)
        .select_related("reversal")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=PaymentAllocation.objects.select_related("invoice__period").order_by(
                    "invoice__period__month"
                ),
            )
        )
        .order_by("-paid_at", "-pk")
    )
    credits = dict(
        CreditEntry.objects.filter(customer_id__in=ids)
        .values_list("customer_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    due = _invoices_due(outstanding, today=timezone.localdate())
    bills = {
        customer.pk: ConnectionBills(
            customer=customer,
            outstanding=OutstandingBills(invoices=[]),
            credit=int(credits.get(customer.pk) or 0),
        )
        for customer in customers
    }
    for row in due.invoices:
        bills[row.invoice.customer_id].outstanding.invoices.append(row)
    for allocation in paid:
        bills[allocation.invoice.customer_id].paid.append(allocation)
    for payment in payments:
        bills[payment.customer_id].payments.append(payment)
    return list(bills.values())
