"""Customers billed by the real bill run, for the invoice document and DRD tests.

Plain functions (not pytest fixtures), so that each test module says what it builds.
"""

import datetime

from django.utils import timezone

from billing import bill_run
from billing.models import BillRun, BillRunChunk, Invoice, InvoiceLine, InvoiceStatus
from customers.models import Customer, Route, TariffClass
from meters import services as meters
from meters.models import Anomaly, Period, ReadingMethod
from tests.billing.factories import TariffVersionFactory
from tests.customers.factories import CustomerFactory, TariffClassFactory

# Before October 2026: Rp 1.000 / 1.300 / 1.800 / 2.500 per m³ and Rp 10.000 administration.
OLD_BLOCKS = [(1, 10, 1_000), (11, 20, 1_300), (21, 30, 1_800), (31, None, 2_500)]


def rumah_tangga_a() -> TariffClass:
    """2A Rumah Tangga A: 1.100 / 1.480 / 2.000 / 2.700 and Rp 11.500 from October 2026."""
    tariff_class = TariffClassFactory(code="2A", name="Rumah Tangga A")
    TariffVersionFactory(
        tariff_class=tariff_class,
        effective_from=datetime.date(2026, 1, 1),
        blocks=OLD_BLOCKS,
        charges=[{"kind": "administration", "amount": 10_000}],
    )
    TariffVersionFactory(tariff_class=tariff_class, effective_from=datetime.date(2026, 10, 1))
    return tariff_class


def niaga_kecil() -> TariffClass:
    """3A Niaga Kecil: a flat Rp 3.000 per m³ and Rp 20.000 administration (no minimum)."""
    tariff_class = TariffClassFactory(code="3A", name="Niaga Kecil")
    TariffVersionFactory(
        tariff_class=tariff_class,
        effective_from=datetime.date(2026, 1, 1),
        minimum_usage_m3=0,
        blocks=[(1, None, 3_000)],
        charges=[{"kind": "administration", "amount": 20_000}],
    )
    return tariff_class


def period(month: int) -> Period:
    return meters.period_get_or_open(month=datetime.date(2026, month, 1))


def connect(
    actor, *, route: Route, tariff_class: TariffClass, initial_stand: int = 100, **fields
) -> Customer:
    """A customer with a 1/2" meter installed in 2020 at `initial_stand`."""
    customer = CustomerFactory(
        route=route, tariff_class=tariff_class, connected_on=datetime.date(2020, 1, 1), **fields
    )
    meters.meter_install(
        actor=actor,
        customer=customer,
        serial_number=f"M-{customer.number}",
        installed_on=datetime.date(2020, 1, 1),
        size="1/2",
        initial_stand=initial_stand,
    )
    return customer


def run(actor, month: int) -> BillRun:
    """Start the main run of a month and process every chunk, as the workers would."""
    started = bill_run.bill_run_start(actor=actor, period=period(month), queue=False)
    for chunk in BillRunChunk.objects.filter(bill_run=started):
        bill_run.bill_run_chunk_process(chunk_id=chunk.pk)
    started.refresh_from_db()
    return started


def bill_months(reader, supervisor, plan: dict[Customer, dict[int, int | None]]) -> None:
    """Read and bill month by month: ``{customer: {month: usage m³, or None for a locked house
    (estimated)}}``; stands go up from the meter's initial stand."""
    stands = {customer: customer.meters.get().initial_stand for customer in plan}
    for month in sorted({m for months in plan.values() for m in months}):
        p = period(month)
        for customer, months in plan.items():
            if month not in months:
                continue
            usage = months[month]
            if usage is not None:
                stands[customer] += usage
            meters.reading_record(
                actor=reader,
                customer=customer,
                period=p,
                stand=stands[customer] if usage is not None else None,
                anomaly="" if usage is not None else Anomaly.LOCKED,
                read_on=p.month,
                method=ReadingMethod.FIELD,
            )
        run(supervisor, month)


def cancel_and_reissue(invoice: Invoice, *, reason: str = "Salah baca meter") -> Invoice:
    """What a bill correction leaves behind: the invoice cancelled, a copy issued in its place.

    (The corrections service does this for real; the documents only read the result.)
    """
    lines = list(invoice.lines.all())
    Invoice.objects.filter(pk=invoice.pk).update(
        status=InvoiceStatus.CANCELLED, cancelled_at=timezone.now(), cancel_reason=reason
    )
    replacement = Invoice.objects.get(pk=invoice.pk)
    replacement.pk = None
    replacement.number = f"{invoice.number}-K1"
    replacement.status = InvoiceStatus.ISSUED
    replacement.replaces_id = invoice.pk
    replacement.cancelled_at = None
    replacement.cancel_reason = ""
    replacement.save()
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=replacement,
            position=line.position,
            kind=line.kind,
            description=line.description,
            quantity_m3=line.quantity_m3,
            unit_price=line.unit_price,
            amount=line.amount,
        )
        for line in lines
    )
    return replacement
