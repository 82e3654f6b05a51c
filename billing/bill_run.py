"""The monthly bill run: one invoice per billable customer, in chunks (one per route) that any
worker can take, resumable after a crash, never issuing anything twice.

Policy (who is billed how) is `customer_treatment`, in one place. Charges come from the pure
`billing.tariffs.compute_charges`; the fair true-up from `true_up_lines`.
"""

import datetime
import enum
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.extensions import credit_carried
from billing.models import (
    BillRun,
    BillRunChunk,
    BillRunState,
    ChunkState,
    HeldCustomer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    TariffVersion,
)
from billing.selectors import held_by_supervisor, tariff_snapshot
from billing.tariffs import (
    ChargeLine,
    TariffSnapshot,
    charges_total,
    compute_charges,
    lines_finalized,
    tax_amount,
)
from customers.models import Customer, CustomerStatus, Route
from meters.models import Meter, Period, PeriodState, Reading, ReadingStatus
from meters.selectors import month_add
from meters.services import period_set_state, readings_estimate_missing
from pdam.audit import audit_record


class Treatment(enum.Enum):
    BILL_READING = "reading"
    ESTIMATE = "estimate"
    FIXED_ONLY = "fixed_only"
    HOLD = "hold"
    SKIP = "skip"


def customer_treatment(*, status: str, reading_status: str | None, has_meter: bool) -> tuple[Treatment, str]:
    """Who is billed how: the whole policy of the bill run.

    Active customers are billed from their reading, or an estimate where there is none; a
    reading still held for verification holds the customer back. Sealed customers pay the fixed
    charges only. Disconnected and closed customers get nothing.
    """
    if status == CustomerStatus.SEALED:
        return Treatment.FIXED_ONLY, ""
    if status != CustomerStatus.ACTIVE:
        return Treatment.SKIP, ""
    if reading_status is None:
        if not has_meter:
            return Treatment.HOLD, _("No meter installed")
        return Treatment.ESTIMATE, ""
    if reading_status != ReadingStatus.OK:
        return Treatment.HOLD, _("Reading held for verification")
    return Treatment.BILL_READING, ""


BILLABLE_STATUSES = [CustomerStatus.ACTIVE, CustomerStatus.SEALED]


def due_date(period: Period, issued_on: datetime.date | None = None) -> datetime.date:
    """When an invoice of `period` issued on `issued_on` (default today) falls due.

    The later of the period's due day and the issue date plus BILL_MIN_DAYS_TO_PAY: a run made
    late (4 December for November) never issues a bill that is overdue the day it arrives.
    """
    issued_on = issued_on or timezone.localdate()
    period_due = period.month.replace(day=min(settings.BILL_DUE_DAY, 28))
    return max(period_due, issued_on + datetime.timedelta(days=settings.BILL_MIN_DAYS_TO_PAY))


def invoice_number(*, period: Period, customer_number: str, suffix: str = "") -> str:
    return f"{period.month:%Y%m}-{customer_number}{suffix}"


# --- The fair true-up ------------------------------------------------------------------------


@dataclass(frozen=True)
class EarlierMonth:
    """An estimated month being trued up: what its invoice charged for water."""

    month: datetime.date
    tariff: TariffSnapshot
    billed_usage_m3: int
    billed_water: int  # water lines with their tax, as invoiced


def spread_usage(total_m3: int, months: int) -> list[int]:
    """`total_m3` over `months` in whole m3, as evenly as possible, earliest months first get
    the remainder: 65 over 3 → [22, 22, 21]."""
    base, remainder = divmod(total_m3, months)
    return [base + (1 if i < remainder else 0) for i in range(months)]


def _water_total(lines: list[ChargeLine]) -> int:
    return sum(line.total for line in lines if line.kind != "fixed")


def true_up_lines(*, earlier: list[EarlierMonth], spread: list[int], meter_size: str) -> list[ChargeLine]:
    """Re-rate each estimated month with its share of the real usage at its own tariff, and
    charge or credit the difference against what was billed, one labelled line per month."""
    lines = []
    for month, usage in zip(earlier, spread, strict=True):
        rerated = _water_total(compute_charges(month.tariff, usage_m3=usage, meter_size=meter_size))
        difference = rerated - month.billed_water
        if difference == 0:
            continue
        lines.append(
            ChargeLine(
                kind="adjustment",
                description=_("True-up %(month)s: %(actual)s m³ actual, billed %(billed)s m³ estimated")
                % {"month": month.month.strftime("%m/%Y"), "actual": usage, "billed": month.billed_usage_m3},
                quantity_m3=usage - month.billed_usage_m3,
                unit_price=difference,
                amount=difference,
                tax_rate_bp=0,
                tax_amount=tax_amount(difference, 0),
            )
        )
    return lines


# --- Starting, running and finishing a run ---------------------------------------------------


def bill_run_start(*, actor, period: Period, supplementary: bool = False, queue: bool = True) -> BillRun:
    """Start the bill run of a period (or a supplementary run for customers held back).

    Moves the period to "billing" (readings already billable are locked from here on), creates
    one chunk per route and queues them (``queue=False``: the caller runs `bill_run_work`
    processes instead). A second start while one runs is refused.
    """
    from billing.tasks import bill_run_chunk

    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        if locked.state == PeriodState.BILLED:
            raise ValidationError(_("Period %(period)s is closed.") % {"period": locked})
        if locked.month > timezone.localdate().replace(day=1):
            raise ValidationError(
                _("Period %(period)s is in the future; it cannot be billed yet.") % {"period": locked}
            )
        runs = BillRun.objects.filter(period=locked)
        if runs.filter(state=BillRunState.RUNNING).exists():
            raise ValidationError(_("A bill run for %(period)s is already running.") % {"period": locked})
        has_main = runs.filter(supplementary=False).exists()
        if supplementary and not has_main:
            raise ValidationError(_("Run the main bill run first."))
        if not supplementary and has_main:
            raise ValidationError(
                _("%(period)s has been billed already; start a supplementary run for held customers.")
                % {"period": locked}
            )
        routes = list(
            Route.objects.filter(customers__status__in=BILLABLE_STATUSES)
            .distinct()
            .values_list("pk", flat=True)
        )
        try:
            with transaction.atomic():
                run = BillRun.objects.create(
                    period=locked, supplementary=supplementary, started_by=actor, chunks_total=len(routes)
                )
        except IntegrityError:
            raise ValidationError(
                _("A bill run for %(period)s is already running.") % {"period": locked}
            ) from None
        BillRunChunk.objects.bulk_create([BillRunChunk(bill_run=run, route_id=pk) for pk in routes])
        period_set_state(actor=actor, period=locked, state=PeriodState.BILLING)
        audit_record(
            actor=actor,
            action="billrun.start",
            obj=run,
            changes={"period": [None, str(locked)], "supplementary": [None, supplementary]},
        )
        chunk_ids = list(run.chunks.values_list("pk", flat=True))
        if not chunk_ids:
            _finish_if_complete(run.pk)
        if queue:
            transaction.on_commit(lambda: [bill_run_chunk.delay(pk) for pk in chunk_ids])
    return run


def bill_run_resume(*, actor, bill_run: BillRun) -> int:
    """Queue again every chunk that has not finished (after a crashed worker). Returns how many."""
    from billing.tasks import bill_run_chunk

    with transaction.atomic():
        run = BillRun.objects.select_for_update().get(pk=bill_run.pk)
        if run.state != BillRunState.RUNNING:
            raise ValidationError(_("This bill run is not running."))
        chunk_ids = list(run.chunks.exclude(state=ChunkState.DONE).values_list("pk", flat=True))
        # A person resuming releases running chunks at once: whoever held them is gone. Should
        # one still be alive, the unique (customer, period) invoice makes its twin fail, not
        # bill twice.
        run.chunks.filter(pk__in=chunk_ids).update(state=ChunkState.PENDING, claimed_at=None)
        audit_record(
            actor=actor, action="billrun.resume", obj=run, changes={"chunks": [None, len(chunk_ids)]}
        )
        transaction.on_commit(lambda: [bill_run_chunk.delay(pk) for pk in chunk_ids])
    return len(chunk_ids)


def _claim(chunk_id: int) -> bool:
    """Take a chunk: pending, or running but stale (its worker died). Only one worker wins."""
    stale = timezone.now() - datetime.timedelta(seconds=settings.BILL_RUN_STALE_SECONDS)
    return bool(
        BillRunChunk.objects.filter(pk=chunk_id, bill_run__state=BillRunState.RUNNING)
        .filter(Q(state=ChunkState.PENDING) | Q(state=ChunkState.RUNNING, claimed_at__lt=stale))
        .update(state=ChunkState.RUNNING, claimed_at=timezone.now(), attempts=F("attempts") + 1)
    )


def bill_run_chunk_process(*, chunk_id: int) -> bool:
    """Bill one route of a run. Returns False when the chunk was not ours to take."""
    if not _claim(chunk_id):
        return False
    chunk = BillRunChunk.objects.select_related("bill_run__period", "route").get(pk=chunk_id)
    # A first attempt of the main run cannot find invoices of its own customers for this
    # period, so it skips looking; should one exist anyway (a customer moved route mid-run),
    # the unique (customer, period) invoice refuses the insert and the chunk is redone looking.
    look = chunk.bill_run.supplementary or chunk.attempts > 1
    try:
        _bill_chunk(chunk, look_for_invoiced=look)
    except IntegrityError:
        if look:
            raise
        _bill_chunk(chunk, look_for_invoiced=True)
    _finish_if_complete(chunk.bill_run_id)
    return True


def _bill_chunk(chunk: BillRunChunk, *, look_for_invoiced: bool) -> None:
    # Invoice lines are described in the utility's language, whoever started the run.
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        if connection.vendor == "postgresql":
            # A chunk and its "done" mark commit together, so a commit lost in a crash only
            # means the chunk runs again: no need to wait for the disk on each of thousands.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        result = _bill_route(run=chunk.bill_run, route=chunk.route, look_for_invoiced=look_for_invoiced)
        BillRunChunk.objects.filter(pk=chunk.pk).update(
            state=ChunkState.DONE,
            issued=result.issued,
            estimated=result.estimated,
            held=result.held,
            skipped=result.skipped,
            total_amount=result.total_amount,
        )
        BillRun.objects.filter(pk=chunk.bill_run_id).update(
            chunks_done=F("chunks_done") + 1,
            issued=F("issued") + result.issued,
            estimated=F("estimated") + result.estimated,
            held=F("held") + result.held,
            skipped=F("skipped") + result.skipped,
            total_amount=F("total_amount") + result.total_amount,
        )


def _finish_if_complete(run_id: int) -> None:
    finished = BillRun.objects.filter(
        pk=run_id, state=BillRunState.RUNNING, chunks_done__gte=F("chunks_total")
    ).update(state=BillRunState.DONE, finished_at=timezone.now())
    if finished and settings.MESSAGING_INVOICE_NOTICES:
        # The customers hear of their invoices once the run is done, in the background.
        from billing.tasks import invoice_notices_queue

        transaction.on_commit(lambda: invoice_notices_queue.delay(run_id))


# --- Billing one route ------------------------------------------------------------------------


@dataclass
class ChunkResult:
    issued: int = 0
    estimated: int = 0
    held: int = 0
    skipped: int = 0
    total_amount: int = 0


class CustomerRow(NamedTuple):
    id: int
    number: str
    status: str
    tariff_class_id: int


class ReadingRow(NamedTuple):
    id: int
    status: str
    usage_m3: int
    months_covered: int
    estimated: bool
    previous_stand: int | None
    stand: int | None
    meter_size: str


@dataclass
class DraftInvoice:
    customer: CustomerRow
    reading: ReadingRow | None
    version_id: int
    meter_size: str
    usage_m3: int
    billed_usage_m3: int
    estimated: bool
    fixed_only: bool
    lines: list[ChargeLine]


class TariffCache:
    """Tariff versions, their snapshots and computed charges, for one worker process.

    Versions are immutable once created, so a version's charges for a usage and a meter size
    are computed once and shared by every customer with the same ones. Versions per class are
    kept per bill run: a version added later is seen by the next run.
    """

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self._versions: dict[int, list[TariffVersion]] = {}
        self._snapshots: dict[int, TariffSnapshot] = {}
        self._charges: dict[tuple[int, int, str], list[ChargeLine]] = {}

    def version(self, tariff_class_id: int, month: datetime.date) -> TariffVersion | None:
        if tariff_class_id not in self._versions:
            self._versions[tariff_class_id] = list(
                TariffVersion.objects.filter(tariff_class_id=tariff_class_id)
                .prefetch_related("blocks", "fixed_charges")
                .order_by("-effective_from")
            )
        return next((v for v in self._versions[tariff_class_id] if v.effective_from <= month), None)

    def snapshot(self, version: TariffVersion) -> TariffSnapshot:
        if version.pk not in self._snapshots:
            self._snapshots[version.pk] = tariff_snapshot(version)
        return self._snapshots[version.pk]

    def charges(self, version: TariffVersion, usage_m3: int, meter_size: str) -> list[ChargeLine]:
        key = (version.pk, usage_m3, meter_size)
        if key not in self._charges:
            self._charges[key] = compute_charges(
                self.snapshot(version), usage_m3=usage_m3, meter_size=meter_size
            )
        return self._charges[key]


_caches: dict[int, TariffCache] = {}


def _cache_for(run_id: int) -> TariffCache:
    if run_id not in _caches:
        _caches.clear()
        _caches[run_id] = TariffCache(run_id)
    return _caches[run_id]


def _earlier_months(*, customers: list[int], period: Period, months: int) -> dict:
    """For each customer: what the invoices of the `months` months before `period` billed."""
    first = month_add(period.month, -months)
    invoices = (
        Invoice.objects.filter(
            customer_id__in=customers,
            status=InvoiceStatus.ISSUED,
            period__month__gte=first,
            period__month__lt=period.month,
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
        .values_list("customer_id", "period__month", "billed_usage_m3", "water")
    )
    found: dict[int, dict[datetime.date, tuple[int, int]]] = defaultdict(dict)
    for customer_id, month, usage, water in invoices:
        found[customer_id][month] = (usage, water or 0)
    return found


READING_FIELDS = (
    "id", "status", "usage_m3", "months_covered", "estimated", "previous_stand", "stand", "meter__size",
)  # fmt: skip


def _bill_route(*, run: BillRun, route: Route, look_for_invoiced: bool = True) -> ChunkResult:
    """Bill every billable customer of a route that has no invoice for the period yet."""
    period = run.period
    result = ChunkResult()
    if not run.supplementary:
        result.skipped = Customer.objects.filter(route=route).exclude(status__in=BILLABLE_STATUSES).count()
    customers = [
        CustomerRow(*row)
        for row in Customer.objects.filter(route=route, status__in=BILLABLE_STATUSES)
        .order_by("route_sequence", "number")
        .values_list("id", "number", "status", "tariff_class_id")
    ]
    if look_for_invoiced and customers:
        invoiced = set(
            Invoice.objects.filter(
                customer_id__in=[c.id for c in customers], period=period, status=InvoiceStatus.ISSUED
            )
            .order_by()
            .values_list("customer_id", flat=True)
        )
        customers = [c for c in customers if c.id not in invoiced]
    if not customers:
        return result
    ids = [c.id for c in customers]
    readings = {
        row[0]: ReadingRow(*row[1:])
        for row in Reading.objects.filter(period=period, customer__route=route).values_list(
            "customer_id", *READING_FIELDS
        )
    }
    meter_sizes = dict(
        Meter.objects.filter(customer__route=route, removed_on__isnull=True).values_list(
            "customer_id", "size"
        )
    )
    cache = _cache_for(run.pk)
    plans: list[tuple[CustomerRow, Treatment]] = []
    to_estimate: list[int] = []
    held: list[HeldCustomer] = []
    # A supervisor's hold (an outlier kept back for a look) lasts until it is released.
    on_hold = dict(
        held_by_supervisor(period=period).filter(customer__route=route).values_list("customer_id", "reason")
    )
    for customer in customers:
        reading = readings.get(customer.id)
        treatment, reason = customer_treatment(
            status=customer.status,
            reading_status=reading.status if reading else None,
            has_meter=customer.id in meter_sizes,
        )
        if customer.id in on_hold and treatment is not Treatment.SKIP:
            treatment, reason = Treatment.HOLD, on_hold[customer.id]
        if treatment is Treatment.HOLD:
            held.append(HeldCustomer(bill_run=run, customer_id=customer.id, reason=reason))
        elif treatment is Treatment.SKIP:
            result.skipped += 1
        else:
            if treatment is Treatment.ESTIMATE:
                to_estimate.append(customer.id)
            plans.append((customer, treatment))
    if to_estimate:
        readings_estimate_missing(period=period, customer_ids=to_estimate)
        for row in Reading.objects.filter(period=period, customer_id__in=to_estimate).values_list(
            "customer_id", *READING_FIELDS
        ):
            readings[row[0]] = ReadingRow(*row[1:])

    longest = max((r.months_covered for r in readings.values()), default=1)
    earlier = _earlier_months(customers=ids, period=period, months=longest - 1) if longest > 1 else {}
    drafts: list[DraftInvoice] = []
    carried: dict[int, int] = {}  # customer id -> Rupiah of true-up excess carried to credit
    for customer, treatment in plans:
        version = cache.version(customer.tariff_class_id, period.month)
        if version is None:
            held.append(
                HeldCustomer(bill_run=run, customer_id=customer.id, reason=_("No tariff for this class"))
            )
            continue
        reading = readings.get(customer.id)
        meter_size = reading.meter_size if reading else meter_sizes.get(customer.id, "")
        if treatment is Treatment.FIXED_ONLY:
            lines = [line for line in cache.charges(version, 0, meter_size) if line.kind == "fixed"]
            drafts.append(DraftInvoice(customer, reading, version.pk, meter_size, 0, 0, False, True, lines))
            continue
        if reading is None:  # an estimate needs a meter; customer_treatment held those without one
            held.append(HeldCustomer(bill_run=run, customer_id=customer.id, reason=_("No meter installed")))
            continue
        months = reading.months_covered
        spread = spread_usage(reading.usage_m3, months) if months > 1 else [reading.usage_m3]
        lines = cache.charges(version, spread[-1], meter_size)
        if months > 1:
            history = earlier.get(customer.id, {})
            trued = []
            for k in range(months - 1, 0, -1):
                month = month_add(period.month, -k)
                usage, water = history.get(month, (0, 0))
                old_version = cache.version(customer.tariff_class_id, month) or version
                trued.append(
                    EarlierMonth(
                        month=month,
                        tariff=cache.snapshot(old_version),
                        billed_usage_m3=usage,
                        billed_water=water,
                    )
                )
            lines = lines + true_up_lines(earlier=trued, spread=spread[:-1], meter_size=meter_size)
            lines, carried_amount = lines_finalized(lines)
            if carried_amount:
                carried[customer.id] = carried_amount
        drafts.append(
            DraftInvoice(
                customer,
                reading,
                version.pk,
                meter_size,
                reading.usage_m3,
                spread[-1],
                reading.estimated,
                False,
                lines,
            )
        )
        result.estimated += reading.estimated

    from billing.closing import catch_ups_add, catch_ups_save

    catch_ups = catch_ups_add(drafts=drafts, period=period, cache=cache, carried=carried)
    HeldCustomer.objects.bulk_create(held, ignore_conflicts=True)
    result.held = len(held)
    result.issued = len(drafts)
    result.total_amount = _insert(run=run, route=route, drafts=drafts)
    catch_ups_save(pending=catch_ups, period=period)
    if carried:
        for invoice in Invoice.objects.filter(
            period=period, status=InvoiceStatus.ISSUED, customer_id__in=list(carried)
        ).select_related("customer"):
            credit_carried(invoice=invoice, amount=carried[invoice.customer_id], actor=run.started_by)
    return result


INVOICE_COLUMNS = (
    "number", "customer_id", "period_id", "reading_id", "tariff_version_id", "tariff_class_id", "route_id",
    "meter_size", "previous_stand", "current_stand", "usage_m3", "billed_usage_m3", "estimated", "fixed_only",
    "total", "due_date", "status", "issued_at", "bill_run_id", "cancel_reason",
)  # fmt: skip
LINE_COLUMNS = (
    "invoice_id", "position", "kind", "description", "quantity_m3", "unit_price", "amount", "tax_rate_bp",
    "tax_amount",
)  # fmt: skip


def _insert(*, run: BillRun, route: Route, drafts: list[DraftInvoice]) -> int:
    """Write the invoices and their lines: COPY on PostgreSQL, bulk inserts elsewhere.

    Returns the Rupiah total of what was written.
    """
    if not drafts:
        return 0
    totals = [charges_total(d.lines) for d in drafts]
    if connection.vendor == "postgresql":
        _copy_invoices(run=run, route=route, drafts=drafts, totals=totals)
        return sum(totals)
    period = run.period
    invoices = Invoice.objects.bulk_create(
        [
            Invoice(
                number=invoice_number(period=period, customer_number=d.customer.number),
                customer_id=d.customer.id,
                period_id=period.pk,
                reading_id=d.reading.id if d.reading else None,
                tariff_version_id=d.version_id,
                tariff_class_id=d.customer.tariff_class_id,
                route_id=route.pk,
                meter_size=d.meter_size,
                previous_stand=d.reading.previous_stand if d.reading else None,
                current_stand=d.reading.stand if d.reading else None,
                usage_m3=d.usage_m3,
                billed_usage_m3=d.billed_usage_m3,
                estimated=d.estimated,
                fixed_only=d.fixed_only,
                total=total,
                due_date=due_date(period),
                bill_run_id=run.pk,
            )
            for d, total in zip(drafts, totals, strict=True)
        ],
        batch_size=500,
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(**dict(zip(LINE_COLUMNS, (invoice.pk, position, *_line_values(line)), strict=True)))
            for invoice, draft in zip(invoices, drafts, strict=True)
            for position, line in enumerate(draft.lines, 1)
        ],
        batch_size=1000,
    )
    return sum(totals)


def _copy_invoices(*, run: BillRun, route: Route, drafts: list[DraftInvoice], totals: list[int]) -> None:
    """PostgreSQL: reserve the ids, then COPY invoices and lines as text built here.

    A million invoices spend most of their time in formatting, so what is the same for every
    invoice of the chunk is formatted once, and so is every distinct line: customers with the
    same usage share the same line objects (see `TariffCache.charges`).
    """
    period = run.period
    number_prefix = invoice_number(period=period, customer_number="")
    head = f"\t{period.pk}\t"
    issued = f"{InvoiceStatus.ISSUED.value}\t{timezone.now().isoformat()}"
    tail = f"\t{due_date(period).isoformat()}\t{issued}\t{run.pk}\t\n"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('billing_invoice', 'id')) FROM generate_series(1, %s)",
            [len(drafts)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        rows = []
        for pk, d, total in zip(ids, drafts, totals, strict=True):
            r = d.reading
            tariff = f"{d.version_id}\t{d.customer.tariff_class_id}\t{route.pk}\t{d.meter_size}"
            reading = (
                f"{r.id}\t{tariff}\t{_null(r.previous_stand)}\t{_null(r.stand)}"
                if r
                else f"\\N\t{tariff}\t\\N\t\\N"
            )
            rows.append(
                f"{pk}\t{number_prefix}{d.customer.number}\t{d.customer.id}{head}{reading}\t{d.usage_m3}\t"
                f"{d.billed_usage_m3}\t{'t' if d.estimated else 'f'}\t{'t' if d.fixed_only else 'f'}\t"
                f"{total}{tail}"
            )
        with cursor.copy(f"COPY billing_invoice (id, {', '.join(INVOICE_COLUMNS)}) FROM STDIN") as copy:
            copy.write("".join(rows))
        formatted: dict[int, str] = {}
        lines = []
        for pk, draft in zip(ids, drafts, strict=True):
            for position, line in enumerate(draft.lines, 1):
                text = formatted.get(id(line))
                if text is None:
                    text = formatted[id(line)] = _copy_text(_line_values(line))
                lines.append(f"{pk}\t{position}\t{text}")
        with cursor.copy(f"COPY billing_invoiceline ({', '.join(LINE_COLUMNS)}) FROM STDIN") as copy:
            copy.write("".join(lines))


def _null(value) -> str:
    return "\\N" if value is None else str(value)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(values: tuple) -> str:
    """One row in COPY's text format: tab-separated, \\N for NULL, specials escaped."""
    out = []
    for value in values:
        if value is None:
            out.append("\\N")
        elif value is True or value is False:
            out.append("t" if value else "f")
        elif isinstance(value, str):
            out.append(value.translate(_COPY_ESCAPES))
        elif isinstance(value, datetime.datetime):
            out.append(value.isoformat())
        else:
            out.append(str(value))
    return "\t".join(out) + "\n"


def _line_values(line: ChargeLine) -> tuple:
    return (
        line.kind, line.description[:200], line.quantity_m3, line.unit_price, line.amount, line.tax_rate_bp,
        line.tax_amount,
    )  # fmt: skip


def bill_run_start_scheduled(*, month: datetime.date) -> str:
    """Beat's start of the month's main run; does nothing if it was started by hand."""
    period = Period.objects.filter(month=month).first()
    if period is None:
        return "no readings for this month"
    if BillRun.objects.filter(period=period).exists():
        return "already started"
    try:
        bill_run_start(actor=None, period=period)
    except ValidationError as error:
        return " ".join(error.messages)
    return "started"
