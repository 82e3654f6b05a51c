"""Reads of tariffs, shaped for the bill computation and for the supervisors' pages."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from billing.models import FixedChargeKind, TariffVersion
from billing.tariffs import (
    BlockPrice,
    ChargeLine,
    FixedChargeSnapshot,
    TariffSnapshot,
    charges_total,
    compute_charges,
)
from customers.models import TariffClass
from meters.models import MeterSize

# The usages of the worked example on a version's page: below, at and across the block edges.
EXAMPLE_USAGES = (0, 10, 15, 25, 40)


def _versions() -> QuerySet[TariffVersion]:
    return TariffVersion.objects.select_related("tariff_class", "created_by").prefetch_related(
        "blocks", "fixed_charges"
    )


def tariff_snapshot(version: TariffVersion) -> TariffSnapshot:
    """A frozen copy of a version for `compute_charges` (uses prefetched blocks and charges).

    A charge without its own label is named after its kind, in the active language.
    """
    blocks = sorted(version.blocks.all(), key=lambda b: b.from_m3)
    return TariffSnapshot(
        version_id=version.pk,
        minimum_usage_m3=version.minimum_usage_m3,
        water_tax_rate_bp=version.water_tax_rate_bp,
        blocks=tuple(BlockPrice(b.from_m3, b.to_m3, b.price_per_m3) for b in blocks),
        fixed_charges=tuple(
            FixedChargeSnapshot(
                kind=c.kind,
                label=c.display_label,
                amount=c.amount,
                meter_size=c.meter_size,
                tax_rate_bp=c.tax_rate_bp,
            )
            for c in version.fixed_charges.all()
        ),
    )


def tariff_version_for(*, tariff_class: TariffClass, period: datetime.date) -> TariffVersion | None:
    """The version in force for `period`: the latest one effective on or before it."""
    return (
        _versions()
        .filter(tariff_class=tariff_class, effective_from__lte=period)
        .order_by("-effective_from")
        .first()
    )


def tariff_version_get(*, pk: int) -> TariffVersion:
    return _versions().get(pk=pk)


def tariff_version_state(*, version: TariffVersion, today: datetime.date | None = None) -> str:
    """``"current"`` (in force today), ``"upcoming"`` or ``"past"`` (superseded)."""
    today = today or timezone.localdate()
    if version.effective_from > today:
        return "upcoming"
    superseded = TariffVersion.objects.filter(
        tariff_class_id=version.tariff_class_id,
        effective_from__gt=version.effective_from,
        effective_from__lte=today,
    ).exists()
    return "past" if superseded else "current"


@dataclass(frozen=True)
class ChargeSummary:
    """One line of a version's fixed charges: one amount, or one amount per meter size."""

    label: str
    amount: int | None
    by_size: list[tuple[str, int]]


def _charge_summary(version: TariffVersion) -> list[ChargeSummary]:
    sizes = list(MeterSize.values)
    summary = [
        ChargeSummary(label=c.display_label, amount=c.amount, by_size=[])
        for c in version.fixed_charges.all()
        if not c.meter_size
    ]
    for kind in FixedChargeKind:
        sized = sorted(
            (c for c in version.fixed_charges.all() if c.kind == kind and c.meter_size),
            key=lambda c: sizes.index(c.meter_size),
        )
        if sized:
            by_size = [(c.get_meter_size_display(), c.amount) for c in sized]
            summary.append(ChargeSummary(label=str(kind.label), amount=None, by_size=by_size))
    return summary


@dataclass(frozen=True)
class VersionRow:
    version: TariffVersion
    state: str  # "current" (in force today), "upcoming" or "past"
    charges: list[ChargeSummary]


@dataclass(frozen=True)
class ClassTariffs:
    tariff_class: TariffClass
    versions: list[VersionRow]
    current: TariffVersion | None


def tariff_overview(*, today: datetime.date | None = None) -> list[ClassTariffs]:
    """Every golongan with its versions, newest first, and the one in force today."""
    today = today or timezone.localdate()
    classes = TariffClass.objects.prefetch_related(
        Prefetch(
            "tariff_versions",
            queryset=TariffVersion.objects.order_by("-effective_from").prefetch_related(
                "blocks", "fixed_charges"
            ),
        )
    )
    overview = []
    for tariff_class in classes:
        versions = list(tariff_class.tariff_versions.all())
        current = next((v for v in versions if v.effective_from <= today), None)
        rows = [
            VersionRow(
                version=v,
                state="current" if v is current else "upcoming" if v.effective_from > today else "past",
                charges=_charge_summary(v),
            )
            for v in versions
        ]
        overview.append(ClassTariffs(tariff_class=tariff_class, versions=rows, current=current))
    return overview


@dataclass(frozen=True)
class WorkedExample:
    usage_m3: int
    lines: list[ChargeLine]
    water: int
    fixed: int
    tax: int
    total: int


def tariff_examples(
    *, tariff: TariffSnapshot, meter_size: str, usages: Sequence[int] = EXAMPLE_USAGES
) -> list[WorkedExample]:
    """The bill for each of `usages` on a meter of `meter_size`, for checking a decree by eye."""
    examples = []
    for usage in usages:
        lines = compute_charges(tariff, usage_m3=usage, meter_size=meter_size)
        examples.append(
            WorkedExample(
                usage_m3=usage,
                lines=lines,
                water=sum(line.amount for line in lines if line.kind != "fixed"),
                fixed=sum(line.amount for line in lines if line.kind == "fixed"),
                tax=sum(line.tax_amount for line in lines),
                total=charges_total(lines),
            )
        )
    return examples


def bill_runs_recent(*, limit: int = 24):
    from billing.models import BillRun

    return BillRun.objects.select_related("period", "started_by").order_by("-started_at")[:limit]


def bill_run_summary(*, bill_run) -> dict:
    """What a run issued, by tariff class and by zone (count, m3, Rp), and whom it held back."""
    from django.db.models import Count, Sum

    from billing.models import HeldCustomer, Invoice, InvoiceStatus

    invoices = Invoice.objects.filter(bill_run=bill_run, status=InvoiceStatus.ISSUED).order_by()
    totals = {"count": Count("id"), "m3": Sum("billed_usage_m3"), "amount": Sum("total")}
    by_class = list(
        invoices.values("tariff_class__code", "tariff_class__name")
        .annotate(**totals)
        .order_by("tariff_class__code")
    )
    by_zone = list(
        invoices.values("route__zone__code", "route__zone__name")
        .annotate(**totals)
        .order_by("route__zone__code")
    )
    held = list(
        HeldCustomer.objects.filter(bill_run=bill_run)
        .select_related("customer__route", "held_by", "released_by")
        .order_by("customer__route__code", "customer__route_sequence")[:500]
    )
    return {"by_class": by_class, "by_zone": by_zone, "held": held}


def period_to_bill():
    """The period the bill run start page proposes: the oldest open one that has readings,
    never one in the future (one indexed existence check per period, whatever the readings)."""
    from django.db.models import Exists, OuterRef

    from meters.models import Period, PeriodState, Reading

    this_month = timezone.localdate().replace(day=1)
    return (
        Period.objects.filter(state=PeriodState.OPEN, month__lte=this_month)
        .filter(Exists(Reading.objects.filter(period=OuterRef("pk"))))
        .order_by("month")
        .first()
    )


def held_by_supervisor(*, period):
    """The supervisors' holds in force for `period` (outliers kept back for a look, not yet
    released): every run of the period holds these customers."""
    from billing.models import HeldCustomer

    return HeldCustomer.objects.filter(
        bill_run__period=period, held_by__isnull=False, released_at__isnull=True
    ).order_by()


def customers_held(*, period):
    """The one answer to "who is still held back in `period`": every customer a run of the
    period held (a reading held for verification, no meter, no tariff, or a supervisor's hold)
    and that has no issued invoice for the period yet. Closing the period is refused while
    this is not empty."""
    from django.db.models import Exists, OuterRef

    from billing.models import HeldCustomer, Invoice, InvoiceStatus
    from customers.models import Customer

    invoiced = Invoice.objects.filter(customer=OuterRef("pk"), period=period, status=InvoiceStatus.ISSUED)
    return (
        Customer.objects.filter(
            Exists(HeldCustomer.objects.filter(customer=OuterRef("pk"), bill_run__period=period))
        )
        .exclude(Exists(invoiced))
        .select_related("route")
        .order_by("route__code", "route_sequence", "number")
    )
