"""Guards around the bill run: the preview before it is confirmed, the confirmation when too
little of the period is read, and the supervisor's hold of outliers (and its release).

The preview is a cheap estimate, not the run itself: each customer's usage this period (the
billable reading's usage for this month, or the estimate the run would make) priced at the
period's tariff with the run's own `compute_charges`, in two set-based queries whatever the
number of customers. It leaves out what only the run computes customer by customer: true-up
adjustments after estimated months, credit carried, and the usage of a meter replaced without
a reading; estimates round half up where the run may round half to even. So the totals are
labelled "estimated" on the page and the run's summary is the exact figure.

Outlier rule: an invoice is far from usual when its amount is above FACTOR × the average of
the customer's last three issued invoices (of the last twelve months), or below that average ÷
FACTOR when the average is at least BILL_RUN_OUTLIER_LOW_FROM Rupiah (a small bill halving is
not news). A customer with no invoice yet is compared with what an estimate would bill them
(the fallback estimate at their tariff and meter size): a new connection billed ten times that
is worth a look; there is no lower bound without history.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.bill_run import BILLABLE_STATUSES, TariffCache, bill_run_start
from billing.models import BillRun, BillRunState, HeldCustomer, Invoice, InvoiceStatus
from billing.selectors import held_by_supervisor
from billing.tariffs import charges_total
from customers.models import Customer, CustomerStatus
from meters.models import Period, PeriodState
from meters.selectors import LOOKBACK_MONTHS, month_add, period_progress
from pdam.audit import audit_record

OUTLIER_LIST_LIMIT = 200


@dataclass(frozen=True)
class Figures:
    """One month's bill run in four numbers."""

    customers: int
    m3: int
    amount: int
    estimated: int

    @property
    def estimated_percent(self) -> float:
        return round(100 * self.estimated / self.customers, 1) if self.customers else 0.0


@dataclass(frozen=True)
class Outlier:
    customer_id: int
    number: str
    name: str
    route: str
    usage_m3: int
    estimated: bool
    amount: int
    usual: int
    has_history: bool

    @property
    def ratio(self) -> float:
        return round(self.amount / self.usual, 1) if self.usual else 0.0


@dataclass(frozen=True)
class Preview:
    period: Period
    figures: Figures
    held: int
    previous_period: Period | None
    previous: Figures | None
    total_flagged: bool
    outliers: list[Outlier]
    outlier_count: int
    read_share: float
    needs_confirmation: bool

    @property
    def read_percent(self) -> float:
        return round(100 * self.read_share, 1)


def read_share(*, period: Period) -> float:
    """The share of the customers to read that have a reading for the period (0.0 to 1.0)."""
    rows = period_progress(period=period)
    total = sum(row["total"] for row in rows)
    return sum(min(row["read"], row["total"]) for row in rows) / total if total else 1.0


def bill_run_check(*, period: Period) -> None:
    """Refuse, before the preview, what `bill_run_start` would refuse for a main run."""
    if period.pk is None:
        raise ValidationError(_("No readings were entered for that month."))
    if period.state == PeriodState.BILLED:
        raise ValidationError(_("Period %(period)s is closed.") % {"period": period})
    if period.month > timezone.localdate().replace(day=1):
        raise ValidationError(
            _("Period %(period)s is in the future; it cannot be billed yet.") % {"period": period}
        )
    if BillRun.objects.filter(period=period, supplementary=False).exists():
        raise ValidationError(
            _("%(period)s has been billed already; start a supplementary run for held customers.")
            % {"period": period}
        )


# Each billable customer without an issued invoice for the period, and how the run would bill
# them: kind (held / fixed / reading / estimate), usage this month, meter size, estimated.
_PLAN = """
WITH holds AS (
    SELECT DISTINCT h.customer_id FROM billing_heldcustomer h
    JOIN billing_billrun b ON b.id = h.bill_run_id
    WHERE b.period_id = %(period)s AND h.held_by_id IS NOT NULL AND h.released_at IS NULL
),
hist AS (
    SELECT customer_id, AVG(monthly) AS avg_m3 FROM (
        SELECT r.customer_id, ROUND(r.usage_m3 * 1.0 / r.months_covered) AS monthly,
               ROW_NUMBER() OVER (PARTITION BY r.customer_id ORDER BY p.month DESC) AS rn
        FROM meters_reading r JOIN meters_period p ON p.id = r.period_id
        WHERE p.month < %(month)s AND p.month >= %(lookback)s AND NOT r.estimated AND r.status = 'ok'
          AND NOT EXISTS (
              SELECT 1 FROM meters_reading cur
              WHERE cur.customer_id = r.customer_id AND cur.period_id = %(period)s
          )
    ) t WHERE rn <= 3 GROUP BY customer_id
),
plan AS (
    SELECT c.id AS customer_id, c.tariff_class_id,
        CASE
            WHEN h.customer_id IS NOT NULL THEN 'held'
            WHEN c.status = 'sealed' THEN 'fixed'
            WHEN r.id IS NOT NULL AND r.status <> 'ok' THEN 'held'
            WHEN r.id IS NOT NULL THEN 'reading'
            WHEN m.id IS NULL THEN 'held'
            ELSE 'estimate'
        END AS kind,
        CASE
            WHEN c.status = 'sealed' THEN 0
            WHEN r.id IS NOT NULL THEN r.usage_m3 / r.months_covered
            ELSE COALESCE(CAST(ROUND(hist.avg_m3) AS INTEGER), %(fallback)s)
        END AS usage_m3,
        COALESCE(rm.size, m.size, '') AS meter_size,
        CASE WHEN c.status = 'sealed' THEN false ELSE COALESCE(r.estimated, true) END AS estimated
    FROM customers_customer c
    LEFT JOIN meters_reading r ON r.customer_id = c.id AND r.period_id = %(period)s
    LEFT JOIN meters_meter rm ON rm.id = r.meter_id
    LEFT JOIN meters_meter m ON m.customer_id = c.id AND m.removed_on IS NULL
    LEFT JOIN hist ON hist.customer_id = c.id
    LEFT JOIN holds h ON h.customer_id = c.id
    WHERE c.status IN (%(active)s, %(sealed)s)
      AND NOT EXISTS (
          SELECT 1 FROM billing_invoice i
          WHERE i.customer_id = c.id AND i.period_id = %(period)s AND i.status = 'issued'
      )
)
"""

_GROUPS = (
    _PLAN
    + """
SELECT tariff_class_id, kind, usage_m3, meter_size, estimated, COUNT(*) FROM plan
GROUP BY tariff_class_id, kind, usage_m3, meter_size, estimated
"""
)

_OUTLIERS = (
    _PLAN  # noqa: S608 - constant text; every value is a query parameter
    + """,
usual AS (
    SELECT customer_id, AVG(total) AS usual FROM (
        SELECT i.customer_id, i.total,
               ROW_NUMBER() OVER (PARTITION BY i.customer_id ORDER BY p.month DESC) AS rn
        FROM billing_invoice i JOIN meters_period p ON p.id = i.period_id
        WHERE i.status = 'issued' AND p.month < %(month)s AND p.month >= %(lookback)s
    ) t WHERE rn <= 3 GROUP BY customer_id
),
priced (tariff_class_id, kind, usage_m3, meter_size, amount, reference) AS (
    {priced}
),
judged AS (
    SELECT plan.customer_id, plan.usage_m3, plan.estimated, x.amount,
           CAST(COALESCE(ROUND(usual.usual), x.reference) AS BIGINT) AS usual,
           usual.usual IS NOT NULL AS has_history
    FROM plan
    JOIN priced x ON x.tariff_class_id = plan.tariff_class_id AND x.kind = plan.kind
        AND x.usage_m3 = plan.usage_m3 AND x.meter_size = plan.meter_size
    LEFT JOIN usual ON usual.customer_id = plan.customer_id
)
SELECT j.customer_id, c.number, c.name, COALESCE(rt.code, ''), j.usage_m3, j.estimated, j.amount, j.usual,
       j.has_history, COUNT(*) OVER ()
FROM judged j
JOIN customers_customer c ON c.id = j.customer_id
LEFT JOIN customers_route rt ON rt.id = c.route_id
WHERE j.amount > %(factor)s * j.usual
   OR (j.has_history AND j.usual >= %(low_from)s AND j.amount * %(factor)s < j.usual)
ORDER BY CASE WHEN j.amount >= j.usual THEN j.amount * 1.0 / NULLIF(j.usual, 0)
    ELSE j.usual * 1.0 / NULLIF(j.amount, 0) END DESC, c.number
LIMIT %(limit)s
"""
)


def _params(period: Period) -> dict:
    return {
        "period": period.pk,
        "month": period.month,
        "lookback": month_add(period.month, -LOOKBACK_MONTHS),
        "fallback": settings.READING_FALLBACK_ESTIMATE_M3,
        "active": str(CustomerStatus.ACTIVE),
        "sealed": str(CustomerStatus.SEALED),
    }


def _previous(period: Period) -> tuple[Period | None, Figures | None]:
    """The last month billed before `period`, and what its issued invoices came to."""
    last = (
        Invoice.objects.filter(status=InvoiceStatus.ISSUED, period__month__lt=period.month)
        .order_by("-period__month")
        .values_list("period_id", flat=True)
        .first()
    )
    if last is None:
        return None, None
    totals = Invoice.objects.filter(status=InvoiceStatus.ISSUED, period_id=last).aggregate(
        customers=Count("id"),
        m3=Sum("billed_usage_m3"),
        amount=Sum("total"),
        estimated=Count("id", filter=Q(estimated=True)),
    )
    figures = Figures(
        customers=totals["customers"],
        m3=totals["m3"] or 0,
        amount=totals["amount"] or 0,
        estimated=totals["estimated"],
    )
    return Period.objects.get(pk=last), figures


def _hash_joins(cursor) -> None:
    """PostgreSQL cannot estimate the joins on computed keys (kind, usage) and would pick
    nested loops, rescanning the invoices for every customer: minutes for 20,000 customers.
    Every join here is a whole-table join, so hash joins are always right."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL enable_nestloop = off")


def bill_run_preview(*, period: Period) -> Preview:
    """What the main run of `period` would bill, against the previous billed month, and the
    invoices far from their customer's usual (see the module's docstring). Writes nothing."""
    factor = settings.BILL_RUN_OUTLIER_FACTOR
    params = _params(period)
    with transaction.atomic(), connection.cursor() as cursor:
        _hash_joins(cursor)
        cursor.execute(_GROUPS, params)
        groups = cursor.fetchall()

    cache = TariffCache(0)
    customers = m3 = amount = estimated = held = 0
    priced: dict[tuple, tuple[int, int]] = {}
    for class_id, kind, usage, size, is_estimate, count in groups:
        if kind == "held":
            held += count
            continue
        version = cache.version(class_id, period.month)
        if version is None:  # the run holds a class without a tariff
            held += count
            continue
        key = (class_id, kind, usage, size)
        if key not in priced:
            lines = cache.charges(version, usage, size)
            if kind == "fixed":
                lines = [line for line in lines if line.kind == "fixed"]
            reference = charges_total(cache.charges(version, settings.READING_FALLBACK_ESTIMATE_M3, size))
            priced[key] = (charges_total(lines), reference)
        customers += count
        m3 += usage * count
        amount += priced[key][0] * count
        estimated += count if is_estimate else 0

    outliers: list[Outlier] = []
    outlier_count = 0
    if priced:
        keys = list(priced)
        columns = {
            "classes": [k[0] for k in keys],
            "kinds": [k[1] for k in keys],
            "usages": [k[2] for k in keys],
            "sizes": [k[3] for k in keys],
            "amounts": [priced[k][0] for k in keys],
            "references": [priced[k][1] for k in keys],
        }
        if connection.vendor == "postgresql":  # one array per column, however many prices
            table = (
                "SELECT * FROM unnest(%(classes)s::int[], %(kinds)s::text[], %(usages)s::int[], "
                "%(sizes)s::text[], %(amounts)s::bigint[], %(references)s::bigint[])"
            )
        else:  # SQLite (the quick start): one VALUES row per price
            table = "VALUES " + ", ".join(
                "(" + ", ".join(f"%({name}{i})s" for name in columns) + ")" for i in range(len(keys))
            )
            columns = {f"{name}{i}": v for name, values in columns.items() for i, v in enumerate(values)}
        with transaction.atomic(), connection.cursor() as cursor:
            _hash_joins(cursor)
            cursor.execute(
                _OUTLIERS.replace("{priced}", table),
                {
                    **params,
                    **columns,
                    "factor": factor,
                    "low_from": settings.BILL_RUN_OUTLIER_LOW_FROM,
                    "limit": OUTLIER_LIST_LIMIT,
                },
            )
            for *row, total_count in cursor.fetchall():
                outliers.append(Outlier(*row))
                outlier_count = total_count

    figures = Figures(customers=customers, m3=m3, amount=amount, estimated=estimated)
    previous_period, previous = _previous(period)
    total_factor = settings.BILL_RUN_TOTAL_FACTOR
    total_flagged = bool(
        previous
        and previous.amount
        and (amount > total_factor * previous.amount or amount * total_factor < previous.amount)
    )
    share = read_share(period=period)
    return Preview(
        period=period,
        figures=figures,
        held=held,
        previous_period=previous_period,
        previous=previous,
        total_flagged=total_flagged,
        outliers=outliers,
        outlier_count=outlier_count,
        read_share=share,
        needs_confirmation=share < settings.BILL_RUN_MIN_READ_SHARE,
    )


# --- Services ----------------------------------------------------------------------------------


def _percent(share: float) -> str:
    return f"{100 * share:.1f}".rstrip("0").rstrip(".")


def bill_run_start_confirmed(
    *,
    actor,
    period: Period,
    read_confirmed: bool = False,
    read_reason: str = "",
    hold_customer_ids: list[int] | tuple[int, ...] = (),
    hold_reason: str = "",
    queue: bool = True,
) -> BillRun:
    """Start the main run of `period` after its preview.

    With less of the period read than BILL_RUN_MIN_READ_SHARE, the supervisor must confirm and
    say why (audited). The customers chosen from the preview's outliers are held back with a
    reason (audited, one row each): the run gives them no invoice until a supervisor releases
    them (`held_customers_release`).
    """
    read_reason = read_reason.strip()
    hold_reason = hold_reason.strip()
    share = read_share(period=period)
    low = share < settings.BILL_RUN_MIN_READ_SHARE
    if low and not (read_confirmed and read_reason):
        raise ValidationError(
            _(
                "Only %(share)s %% of %(period)s is read (at least %(minimum)s %% is expected). "
                "Tick the confirmation and say why the run starts anyway."
            )
            % {
                "share": _percent(share),
                "period": period,
                "minimum": _percent(settings.BILL_RUN_MIN_READ_SHARE),
            }
        )
    ids = sorted(set(hold_customer_ids))
    if ids and not hold_reason:
        raise ValidationError(_("Say why the chosen customers are held back."))
    with transaction.atomic():
        to_hold = list(Customer.objects.filter(pk__in=ids, status__in=BILLABLE_STATUSES).order_by("number"))
        if len(to_hold) != len(ids):
            raise ValidationError(_("Only active or sealed customers can be held back."))
        # The holds are written in the run's own transaction, before its chunks are queued on
        # commit: no chunk can bill a held customer.
        run = bill_run_start(actor=actor, period=period, queue=queue)
        HeldCustomer.objects.bulk_create(
            [HeldCustomer(bill_run=run, customer=c, reason=hold_reason[:200], held_by=actor) for c in to_hold]
        )
        for customer in to_hold:
            audit_record(
                actor=actor,
                action="billrun.hold",
                obj=customer,
                changes={"bill_run": [None, run.pk], "period": [None, str(period)]},
                reason=hold_reason,
            )
        if low:
            audit_record(
                actor=actor,
                action="billrun.confirm_low_read",
                obj=run,
                changes={
                    "read_share": [None, _percent(share)],
                    "minimum": [None, _percent(settings.BILL_RUN_MIN_READ_SHARE)],
                },
                reason=read_reason,
            )
    return run


def held_customers_release(
    *, actor, period: Period, customer_ids: list[int] | tuple[int, ...], reason: str, queue: bool = True
) -> BillRun | None:
    """Release supervisor holds of `period` and bill the released customers.

    The release is audited per customer. A supplementary run of the period is started at once
    (it bills every customer of the period still without an invoice and not held); while a run
    of the period is running none is started, and that run bills them on the routes it has not
    done yet (a supplementary run afterwards bills the rest). Returns the run started, if any.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the hold is released."))
    with transaction.atomic():
        Period.objects.select_for_update().get(pk=period.pk)
        holds = list(
            held_by_supervisor(period=period)
            .filter(customer_id__in=list(customer_ids))
            .select_related("customer")
            .select_for_update(of=("self",))
        )
        if not holds:
            raise ValidationError(_("None of the chosen customers is held back by a supervisor."))
        now = timezone.now()
        HeldCustomer.objects.filter(pk__in=[h.pk for h in holds]).update(released_at=now, released_by=actor)
        for customer in {h.customer_id: h.customer for h in holds}.values():
            audit_record(
                actor=actor,
                action="billrun.release",
                obj=customer,
                changes={"period": [None, str(period)]},
                reason=reason,
            )
        if BillRun.objects.filter(period=period, state=BillRunState.RUNNING).exists():
            return None
        return bill_run_start(actor=actor, period=period, supplementary=True, queue=queue)
