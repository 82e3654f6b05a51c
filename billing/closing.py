"""Closing a period without leaving water unbilled, and the catch-up (susulan pemakaian).

A period is closed only when every customer with a reading has an invoice for it. Customers
still held (a reading flagged for verification or sent back for re-read) make the close refuse,
with the list, unless a supervisor explicitly chooses, with a reason, to bill them as estimates
first (the average of their last three verified months, as every estimate).

A held reading resolved after its month was billed (as an estimate) or closed is billed on the
customer's next invoice: its usage is re-rated at that month's own tariff version and charged
(or credited) against what the month's invoice billed for water, one labelled line per month,
with the fair true-up's own machinery (`billing.bill_run.true_up_lines`). A `CatchUp` row per
reading makes sure it happens once.
"""

import dataclasses
import datetime
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.bill_run import (
    BILLABLE_STATUSES,
    CustomerRow,
    DraftInvoice,
    EarlierMonth,
    TariffCache,
    _insert,
    spread_usage,
    true_up_lines,
)
from billing.extensions import credit_carried
from billing.models import (
    BillRun,
    BillRunState,
    CatchUp,
    HeldCustomer,
    Invoice,
    InvoiceStatus,
    LineKind,
    TariffVersion,
)
from billing.tariffs import ChargeLine, lines_finalized
from customers.models import Customer, Route
from meters.models import Period, PeriodState, Reading, ReadingStatus
from meters.rules import estimate_usage
from meters.selectors import month_add, reading_facts_for, thresholds
from meters.services import period_set_state
from pdam.audit import audit_record

# How far back a run looks for held months to catch up.
CATCH_UP_LOOKBACK_MONTHS = 24
# How many unbilled customers a refusal names in its message (the close page lists them all).
REFUSAL_NAMES = 20


@dataclasses.dataclass(frozen=True)
class Unbilled:
    """A customer with a reading in the period and no invoice for it, and why."""

    customer_id: int
    number: str
    name: str
    route: str
    reason: str
    estimable: bool  # held: the close may bill it as an estimate


class PeriodHasUnbilled(ValidationError):
    """The close is refused: `unbilled` lists who has no invoice."""

    def __init__(self, message: str, unbilled: list[Unbilled]) -> None:
        super().__init__(message)
        self.unbilled = unbilled


def period_unbilled(*, period: Period) -> list[Unbilled]:
    """Billable customers with a reading in `period` and no issued invoice for it, by route."""
    invoiced = Invoice.objects.filter(
        period=period, status=InvoiceStatus.ISSUED, customer_id=OuterRef("customer_id")
    )
    rows = (
        Reading.objects.filter(period=period, customer__status__in=BILLABLE_STATUSES)
        .exclude(Exists(invoiced))
        .order_by("customer__route__code", "customer__route_sequence", "customer__number")
        .values_list("customer_id", "customer__number", "customer__name", "customer__route__code", "status")
    )
    reasons = {
        ReadingStatus.FLAGGED: _("Reading held for verification"),
        ReadingStatus.REREAD: _("Reading sent back for re-read"),
    }
    not_billed = _("Billable reading not billed yet: start a supplementary run")
    return [
        Unbilled(
            customer_id=customer_id,
            number=number,
            name=name,
            route=route,
            reason=reasons.get(status, not_billed),
            estimable=status in reasons,
        )
        for customer_id, number, name, route, status in rows
    ]


def _names(unbilled: list[Unbilled]) -> str:
    named = "; ".join(f"{u.number} ({u.route}): {u.reason}" for u in unbilled[:REFUSAL_NAMES])
    if len(unbilled) > REFUSAL_NAMES:
        named += " " + _("… and %(count)s more.") % {"count": len(unbilled) - REFUSAL_NAMES}
    return named


def period_close(*, actor, period: Period, estimate_held: bool = False, reason: str = "") -> Period:
    """Close a billed period: every reading locked from now on; corrections go through billing.

    Refused while a run is running, before the first run, and while customers with a reading
    have no invoice for the period (`PeriodHasUnbilled`, with the list). With `estimate_held`
    and a reason (a supervisor's explicit choice, audited), customers held back for their
    reading are billed as estimates first; a billable reading that was not billed still needs a
    supplementary run. The period row is locked first, as `bill_run_start` locks it.
    """
    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        if BillRun.objects.filter(period=locked, state=BillRunState.RUNNING).exists():
            raise ValidationError(_("A bill run for %(period)s is still running.") % {"period": locked})
        if not BillRun.objects.filter(period=locked).exists():
            raise ValidationError(_("%(period)s has not been billed yet.") % {"period": locked})
        unbilled = period_unbilled(period=locked)
        if unbilled:
            blocking = [u for u in unbilled if not u.estimable]
            if blocking:
                raise PeriodHasUnbilled(
                    ngettext(
                        "%(period)s cannot be closed: %(count)s customer has a reading but no "
                        "invoice. %(names)s",
                        "%(period)s cannot be closed: %(count)s customers have a reading but no "
                        "invoice. %(names)s",
                        len(blocking),
                    )
                    % {"period": locked, "count": len(blocking), "names": _names(blocking)},
                    unbilled,
                )
            if not estimate_held:
                raise PeriodHasUnbilled(
                    ngettext(
                        "%(period)s cannot be closed: %(count)s customer is held back. Resolve the "
                        "reading, or choose to bill it as an estimate. %(names)s",
                        "%(period)s cannot be closed: %(count)s customers are held back. Resolve "
                        "their readings, or choose to bill them as estimates. %(names)s",
                        len(unbilled),
                    )
                    % {"period": locked, "count": len(unbilled), "names": _names(unbilled)},
                    unbilled,
                )
            if not reason.strip():
                raise ValidationError({"reason": _("Say why the held customers are billed as estimates.")})
            _bill_held_as_estimates(actor=actor, period=locked, held=unbilled, reason=reason.strip())
        return period_set_state(actor=actor, period=locked, state=PeriodState.BILLED)


def _bill_held_as_estimates(*, actor, period: Period, held: list[Unbilled], reason: str) -> BillRun:
    """One supplementary run, done at once, with an estimated invoice for each held customer.

    The held reading stays as it is, for verification: once resolved, its month is caught up
    on the customer's next invoice against this estimate.
    """
    ids = [u.customer_id for u in held]
    run = BillRun.objects.create(
        period=period,
        supplementary=True,
        started_by=actor,
        state=BillRunState.DONE,
        finished_at=timezone.now(),
    )
    customers = {
        row[0]: row
        for row in Customer.objects.filter(pk__in=ids).values_list(
            "id", "number", "status", "tariff_class_id", "route_id"
        )
    }
    meter_sizes = dict(
        Reading.objects.filter(period=period, customer_id__in=ids).values_list("customer_id", "meter__size")
    )
    facts = reading_facts_for(customer_ids=ids, period=period)
    limits = thresholds()
    cache = TariffCache(run.pk)
    by_route: dict[int, list[DraftInvoice]] = defaultdict(list)
    with translation.override(settings.LANGUAGE_CODE):
        for unbilled in held:
            customer_id, number, status, tariff_class_id, route_id = customers[unbilled.customer_id]
            version = cache.version(tariff_class_id, period.month)
            if version is None:
                raise ValidationError(
                    _("Customer %(number)s: no tariff for this class in %(period)s.")
                    % {"number": number, "period": period}
                )
            found = facts[customer_id]
            if found.meter is None:
                raise ValidationError(_("Customer %(number)s has no meter installed.") % {"number": number})
            usage = estimate_usage(found.facts.history_m3, limits) + found.facts.replaced_meter_usage_m3
            meter_size = meter_sizes[customer_id]
            by_route[route_id].append(
                DraftInvoice(
                    customer=CustomerRow(customer_id, number, status, tariff_class_id),
                    reading=None,
                    version_id=version.pk,
                    meter_size=meter_size,
                    usage_m3=usage,
                    billed_usage_m3=usage,
                    estimated=True,
                    fixed_only=False,
                    lines=list(cache.charges(version, usage, meter_size)),
                )
            )
        total = 0
        for route in Route.objects.filter(pk__in=by_route):
            drafts = by_route[route.pk]
            carried: dict[int, int] = {}
            pending = catch_ups_add(drafts=drafts, period=period, cache=cache, carried=carried)
            total += _insert(run=run, route=route, drafts=drafts)
            catch_ups_save(pending=pending, period=period)
            for invoice in Invoice.objects.filter(
                period=period, status=InvoiceStatus.ISSUED, customer_id__in=list(carried)
            ).select_related("customer"):
                credit_carried(invoice=invoice, amount=carried[invoice.customer_id], actor=actor)
    BillRun.objects.filter(pk=run.pk).update(issued=len(held), estimated=len(held), total_amount=total)
    audit_record(
        actor=actor,
        action="period.close_with_estimates",
        obj=period,
        changes={"estimated": [None, [u.number for u in held]], "bill_run": [None, run.pk]},
        reason=reason,
    )
    return run


# --- The catch-up -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Billed:
    reading_id: int | None
    estimated: bool
    billed_usage_m3: int
    water: int
    version_id: int


def _catch_up_description(*, month: datetime.date, actual: int, billed: int) -> str:
    name = formats.date_format(month, "F Y")
    if billed:
        return _("Catch-up of %(month)s usage: %(actual)s m³ read, %(billed)s m³ estimated and billed") % {
            "month": name,
            "actual": actual,
            "billed": billed,
        }
    return _("Catch-up of %(month)s usage: %(actual)s m³") % {"month": name, "actual": actual}


def catch_ups_add(
    *, drafts: list[DraftInvoice], period: Period, cache: TariffCache, carried: dict[int, int]
) -> dict[int, list[CatchUp]]:
    """Add to each draft invoice of `period` the catch-up lines of its customer's held months.

    A month is caught up when a bill run held its customer back and the reading is now billable
    (verified), and no invoice billed that reading: the month was billed as an estimate, or was
    closed unbilled. (A month still being billed without an invoice waits for its supplementary
    run.) Each month the reading covers is re-rated at the tariff its invoice used (its own
    month's version when it had none) against the water that invoice billed. Returns the
    `CatchUp` rows to save once the invoices exist (`catch_ups_save`), and updates `carried`
    (customer id → Rupiah the invoice carries to credit).
    """
    by_customer = {d.customer.id: d for d in drafts}
    if not by_customer:
        return {}
    held_months = HeldCustomer.objects.filter(
        customer_id=OuterRef("customer_id"), bill_run__period_id=OuterRef("period_id")
    )
    readings = list(
        Reading.objects.filter(
            customer_id__in=list(by_customer),
            period__month__gte=month_add(period.month, -CATCH_UP_LOOKBACK_MONTHS),
            period__month__lt=period.month,
            status=ReadingStatus.OK,
            estimated=False,
        )
        .filter(Exists(held_months))
        .exclude(Exists(CatchUp.objects.filter(reading_id=OuterRef("pk"))))
        .order_by("customer_id", "period__month")
        .values_list(
            "id", "customer_id", "period__month", "period__state", "usage_m3", "months_covered", "meter__size"
        )
    )
    if not readings:
        return {}
    months = {month_add(r[2], -k) for r in readings for k in range(r[5])}
    billed = {
        (row[0], row[1]): _Billed(*row[2:])
        for row in Invoice.objects.filter(
            customer_id__in={r[1] for r in readings}, status=InvoiceStatus.ISSUED, period__month__in=months
        )
        .annotate(
            water=Sum(
                F("lines__amount") + F("lines__tax_amount"),
                filter=~Q(
                    lines__kind__in=[
                        LineKind.FIXED,
                        LineKind.ADJUSTMENT,
                        LineKind.TO_CREDIT,
                        LineKind.CATCH_UP,
                    ]
                ),
            )
        )
        .order_by()
        .values_list(
            "customer_id",
            "period__month",
            "reading_id",
            "estimated",
            "billed_usage_m3",
            "water",
            "tariff_version_id",
        )  # fmt: skip
    }
    versions = TariffVersion.objects.prefetch_related("blocks", "fixed_charges").in_bulk(
        {b.version_id for b in billed.values()}
    )
    pending: dict[int, list[CatchUp]] = defaultdict(list)
    for reading_id, customer_id, month, state, usage, months_covered, meter_size in readings:
        own = billed.get((customer_id, month))
        if own is not None and own.reading_id == reading_id and not own.estimated:
            continue  # billed from this very reading (a supplementary run or a correction)
        if own is None and state != PeriodState.BILLED:
            continue  # still being billed: the supplementary run bills it
        draft = by_customer[customer_id]
        spread = spread_usage(usage, months_covered) if months_covered > 1 else [usage]
        lines: list[ChargeLine] = []
        billed_m3 = 0
        for k, share in zip(range(months_covered - 1, -1, -1), spread, strict=True):
            earlier_month = month_add(month, -k)
            found = billed.get((customer_id, earlier_month))
            if found is not None:
                version = versions[found.version_id]
            else:
                version = cache.version(draft.customer.tariff_class_id, earlier_month)
                if version is None:
                    continue
            earlier = EarlierMonth(
                month=earlier_month,
                tariff=cache.snapshot(version),
                billed_usage_m3=found.billed_usage_m3 if found else 0,
                billed_water=found.water if found else 0,
            )
            billed_m3 += earlier.billed_usage_m3
            description = _catch_up_description(
                month=earlier_month, actual=share, billed=earlier.billed_usage_m3
            )
            lines += [
                dataclasses.replace(line, kind=LineKind.CATCH_UP.value, description=description)
                for line in true_up_lines(earlier=[earlier], spread=[share], meter_size=meter_size)
            ]
        pending[customer_id].append(
            CatchUp(
                reading_id=reading_id,
                month=month,
                usage_m3=usage,
                billed_usage_m3=billed_m3,
                amount=sum(line.total for line in lines),
            )
        )
        if lines:
            base = [line for line in draft.lines if line.kind != LineKind.TO_CREDIT]
            draft.lines, carried_amount = lines_finalized(base + lines)
            if carried_amount:
                carried[customer_id] = carried_amount
            else:
                carried.pop(customer_id, None)
    return pending


def catch_ups_save(*, pending: dict[int, list[CatchUp]], period: Period) -> None:
    """Once the invoices of `period` are written, link the catch-ups to them."""
    if not pending:
        return
    invoices = dict(
        Invoice.objects.filter(
            period=period, status=InvoiceStatus.ISSUED, customer_id__in=list(pending)
        ).values_list("customer_id", "pk")
    )
    rows = []
    for customer_id, catch_ups in pending.items():
        for catch_up in catch_ups:
            catch_up.invoice_id = invoices[customer_id]
            rows.append(catch_up)
    CatchUp.objects.bulk_create(rows)
