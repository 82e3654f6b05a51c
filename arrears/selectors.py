"""Reads of arrears: the late-fee rules and waivers as the pages show them."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum

from arrears.models import LateFee, LateFeeRule, LateFeeWaiver, WaiverState
from billing.models import Invoice, InvoiceStatus
from payments.models import PaymentAllocation


def invoices_outstanding(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Those of `invoices` that are issued and settled by no live payment."""
    live = PaymentAllocation.objects.filter(invoice=OuterRef("pk"), released_at__isnull=True)
    return invoices.filter(status=InvoiceStatus.ISSUED, total__gt=0).filter(~Exists(live))


def waiver_fees(waiver: LateFeeWaiver) -> QuerySet[LateFee]:
    """The fees `waiver` covers that are still owed: not waived, on unpaid issued invoices."""
    invoices = Invoice.objects.all()
    if waiver.customer_id:
        invoices = invoices.filter(customer_id=waiver.customer_id)
    if waiver.period_id:
        invoices = invoices.filter(period_id=waiver.period_id)
    if waiver.tariff_class_id:
        invoices = invoices.filter(tariff_class_id=waiver.tariff_class_id)
    if waiver.zone_id:
        invoices = invoices.filter(route__zone_id=waiver.zone_id)
    return LateFee.objects.filter(
        waiver__isnull=True, invoice__in=invoices_outstanding(invoices).values("pk")
    )


@dataclass
class RuleScope:
    label: str
    versions: list[LateFeeRule] = field(default_factory=list)
    current: LateFeeRule | None = None


def late_fee_rules(*, today: datetime.date) -> list[RuleScope]:
    """Every scope with its versions, newest first, the one in force today marked `current`:
    golongan rules first (in the classes' order), then kelompok rules, then the general one."""
    rules = LateFeeRule.objects.select_related("tariff_class", "created_by").order_by(
        "tariff_class__sort_order", "tariff_class__code", "kelompok", "-effective_from"
    )
    scopes: dict[tuple, RuleScope] = {}
    for rule in rules:
        key = (rule.tariff_class_id is None, rule.kelompok == "", rule.tariff_class_id, rule.kelompok)
        scope = scopes.setdefault(key, RuleScope(label=rule.scope_label))
        scope.versions.append(rule)
        if scope.current is None and rule.effective_from <= today:
            scope.current = rule
    return [scopes[key] for key in sorted(scopes, key=lambda k: (k[0], k[1]))]


def waivers_recent(*, limit: int = 50) -> tuple[list[LateFeeWaiver], list[LateFeeWaiver]]:
    """(waiting for approval, oldest first; decided, newest first)."""
    base = LateFeeWaiver.objects.select_related(
        "customer", "period", "tariff_class", "zone", "requested_by", "decided_by"
    )
    pending = list(base.filter(state=WaiverState.REQUESTED).order_by("requested_at"))
    decided = list(base.exclude(state=WaiverState.REQUESTED).order_by("-decided_at")[:limit])
    return pending, decided


def waiver_get(*, pk: int) -> LateFeeWaiver:
    return LateFeeWaiver.objects.select_related(
        "customer", "period", "tariff_class", "zone", "requested_by", "decided_by"
    ).get(pk=pk)


@dataclass(frozen=True)
class WaiverPreview:
    invoices: int
    fees: int
    amount: int


def waiver_preview(*, waiver: LateFeeWaiver) -> WaiverPreview:
    """What approving `waiver` now would waive."""
    totals = waiver_fees(waiver).aggregate(
        fees=Count("pk"), invoices=Count("invoice_id", distinct=True), amount=Sum("amount")
    )
    return WaiverPreview(invoices=totals["invoices"], fees=totals["fees"], amount=int(totals["amount"] or 0))


def waived_fees(*, waiver: LateFeeWaiver) -> QuerySet[LateFee]:
    return LateFee.objects.filter(waiver=waiver).select_related("invoice__customer", "invoice__period")
