"""Writes of arrears: late-fee rules, charging denda, waivers. Each owns its transaction and
writes its audit row (the nightly charge is recorded by the fees themselves: each row keeps its
date and a snapshot of the rule it came from)."""

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.models import LateFee, LateFeeRule, LateFeeShape, LateFeeWaiver, WaiverState
from arrears.rules import RuleSnapshot, rule_for, steps_due
from arrears.selectors import invoices_outstanding, waiver_fees
from billing.models import Invoice, InvoiceStatus
from customers.models import Customer, Kelompok, TariffClass, Zone
from meters.models import Period
from pdam.audit import audit_record

# Invoices read and charged per statement by the nightly run.
ASSESS_CHUNK = 5_000
MAX_STEPS = 60
MAX_PERCENT_BP = 10_000


# --- Rules ---------------------------------------------------------------------------------------


def _rule_validated(
    *, shape: str, amount: int, step_totals: Sequence[int], percent_bp: int, start_days_after_due: int
) -> tuple[int, list[int], int]:
    """The rule's figures for its shape (the others zeroed), or ValidationError."""
    if shape not in LateFeeShape.values:
        raise ValidationError({"shape": _("Choose how the late fee is computed.")})
    if not 1 <= start_days_after_due <= 365:
        raise ValidationError({"start_days_after_due": _("Denda starts 1 to 365 days after the due date.")})
    if shape == LateFeeShape.FLAT:
        if amount <= 0:
            raise ValidationError({"amount": _("Give the late fee in whole Rupiah, above zero.")})
        return amount, [], 0
    if shape == LateFeeShape.PERCENT:
        if not 0 < percent_bp <= MAX_PERCENT_BP:
            raise ValidationError({"percent_bp": _("Give a percentage above 0 and at most 100.")})
        return 0, [], percent_bp
    totals = [int(total) for total in step_totals]
    if not totals or len(totals) > MAX_STEPS:
        raise ValidationError(
            {"step_totals": _("Give the total late fee for 1, 2, 3… months late (at most 60 months).")}
        )
    if totals[0] <= 0 or any(later < earlier for earlier, later in zip(totals, totals[1:], strict=False)):
        raise ValidationError(
            {"step_totals": _("The totals must be above zero and never fall from one month to the next.")}
        )
    return 0, totals, 0


def late_fee_rule_create(
    *,
    actor,
    effective_from: datetime.date,
    shape: str,
    tariff_class: TariffClass | None = None,
    kelompok: str = "",
    start_days_after_due: int = 1,
    amount: int = 0,
    step_totals: Sequence[int] = (),
    percent_bp: int = 0,
    decree: str = "",
    today: datetime.date | None = None,
) -> LateFeeRule:
    """A new version of the late-fee rule for a golongan, a kelompok or (neither) everyone.

    It cannot take effect before today: fees already charged keep the rule they came from, and
    invoices due before the date keep the version in force when they fell due.
    """
    today = today or timezone.localdate()
    if effective_from < today:
        raise ValidationError(
            {"effective_from": _("A new rule cannot take effect before today (%(day)s).") % {"day": today}}
        )
    if tariff_class is not None and kelompok:
        raise ValidationError(_("Choose a tariff class or a tariff group, not both."))
    if kelompok and kelompok not in Kelompok.values:
        raise ValidationError({"kelompok": _("Unknown tariff group.")})
    amount, totals, percent_bp = _rule_validated(
        shape=shape,
        amount=amount,
        step_totals=step_totals,
        percent_bp=percent_bp,
        start_days_after_due=start_days_after_due,
    )
    rule = LateFeeRule(
        tariff_class=tariff_class,
        kelompok="" if tariff_class is not None else kelompok,
        effective_from=effective_from,
        shape=shape,
        start_days_after_due=start_days_after_due,
        amount=amount,
        step_totals=totals,
        percent_bp=percent_bp,
        decree=decree.strip(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    try:
        with transaction.atomic():
            rule.save()
            audit_record(
                actor=actor,
                action="late_fee_rule.create",
                obj=rule,
                changes={
                    "scope": [None, rule.scope_label],
                    "effective_from": [None, effective_from.isoformat()],
                    **{key: [None, value] for key, value in RuleSnapshot.of(rule).as_json().items()},
                },
                reason=rule.decree,
            )
    except IntegrityError:
        raise ValidationError(
            {
                "effective_from": _("%(scope)s already has a late-fee rule from %(day)s.")
                % {"scope": rule.scope_label, "day": effective_from}
            }
        ) from None
    return rule


# --- Charging denda ------------------------------------------------------------------------------


_INVOICE_FIELDS = ("pk", "total", "due_date", "tariff_class_id", "tariff_class__kelompok")


def _fees_to_charge(
    rows: list[tuple], rules: list[LateFeeRule], existing: set[tuple[int, int]], on: datetime.date
) -> list[LateFee]:
    """The fee rows `rows` (invoices as `_INVOICE_FIELDS`) have earned by `on` and lack."""
    snapshots: dict[int, RuleSnapshot] = {}
    as_json: dict[int, dict] = {}
    fees = []
    for invoice_id, total, due_date, tariff_class_id, kelompok in rows:
        rule = rule_for(rules, tariff_class_id=tariff_class_id, kelompok=kelompok, due_date=due_date)
        if rule is None:
            continue
        snapshot = snapshots.get(rule.pk)
        if snapshot is None:
            snapshot = snapshots[rule.pk] = RuleSnapshot.of(rule)
            as_json[rule.pk] = snapshot.as_json()
        for step, amount in steps_due(rule=snapshot, principal=total, due_date=due_date, on=on):
            if (invoice_id, step) not in existing:
                fees.append(
                    LateFee(
                        invoice_id=invoice_id,
                        step=step,
                        amount=amount,
                        rule_id=rule.pk,
                        rule_snapshot=as_json[rule.pk],
                        assessed_on=on,
                    )
                )
    return fees


@dataclass(frozen=True)
class AssessResult:
    """What a run did: the invoices it read and the fee rows it wrote (on PostgreSQL exactly:
    a step another run wrote a moment earlier is not counted; on SQLite an upper bound)."""

    invoices_read: int
    fees_charged: int
    amount_charged: int


def late_fees_assess(*, on: datetime.date, chunk_size: int = ASSESS_CHUNK) -> AssessResult:
    """The nightly run: charge every unpaid, uncancelled invoice the denda steps it has earned by
    `on` and does not have yet. Idempotent (one row per invoice and step, enforced by a unique
    index, so two runs at once charge nothing twice) and resumable: it walks the invoices past
    due in id order, a chunk per statement, each chunk committed on its own."""
    rules = list(LateFeeRule.objects.all())
    if not rules:
        return AssessResult(0, 0, 0)
    # The earliest due date that can have earned a step by `on`.
    latest_due = on - datetime.timedelta(days=min(rule.start_days_after_due for rule in rules))
    candidates = invoices_outstanding(Invoice.objects.filter(due_date__lte=latest_due)).order_by("pk")
    read = charged = amount = 0
    last_pk = 0
    while True:
        rows = list(candidates.filter(pk__gt=last_pk).values_list(*_INVOICE_FIELDS)[:chunk_size])
        if not rows:
            break
        last_pk = rows[-1][0]
        read += len(rows)
        ids = [row[0] for row in rows]
        existing = set(LateFee.objects.filter(invoice_id__in=ids).values_list("invoice_id", "step"))
        fees = _fees_to_charge(rows, rules, existing, on)
        if fees:
            written = _fees_insert(fees)
            charged += len(written)
            amount += sum(written)
    return AssessResult(invoices_read=read, fees_charged=charged, amount_charged=amount)


def _fees_insert(fees: list[LateFee]) -> list[int]:
    """Insert `fees`, skipping any (invoice, step) a row already has; the amounts written.

    On PostgreSQL one ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING RETURNING`` per
    chunk: building a 20,000-row ORM insert costs more than the database's work, and RETURNING
    counts only the rows this run wrote. Elsewhere (SQLite) the ORM's bulk insert.
    """
    if connection.vendor != "postgresql":
        with transaction.atomic():
            LateFee.objects.bulk_create(fees, ignore_conflicts=True)
        return [fee.amount for fee in fees]
    table = LateFee._meta.db_table
    snapshots = {}
    for fee in fees:
        snapshots.setdefault(fee.rule_id, json.dumps(fee.rule_snapshot))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (invoice_id, step, amount, rule_id, rule_snapshot, assessed_on, created_at)
            SELECT f.invoice_id, f.step, f.amount, f.rule_id, f.snapshot::jsonb, %s, %s
            FROM unnest(%s::bigint[], %s::int[], %s::bigint[], %s::bigint[], %s::text[])
                AS f(invoice_id, step, amount, rule_id, snapshot)
            ON CONFLICT (invoice_id, step) DO NOTHING
            RETURNING amount
            """,  # noqa: S608 - the table name is the model's, every value a parameter
            [
                fees[0].assessed_on,
                timezone.now(),
                [fee.invoice_id for fee in fees],
                [fee.step for fee in fees],
                [fee.amount for fee in fees],
                [fee.rule_id for fee in fees],
                [snapshots[fee.rule_id] for fee in fees],
            ],
        )
        return [row[0] for row in cursor.fetchall()]


def late_fees_charge(*, invoices: Sequence[Invoice], on: datetime.date) -> dict[int, int]:
    """The denda each of `invoices` carries on `on`, charging at once the steps it has earned and
    the nightly run has not charged yet (the same rows that run would write). 0 for a cancelled
    invoice, a settled one, or one not yet past its start day; waived fees are not owed.

    This is the surcharge payments adds to what settles an invoice (registered in
    ArrearsConfig.ready): three queries for any number of invoices, none when none is past due.
    """
    owed = {invoice.pk: 0 for invoice in invoices}
    candidate_ids = [i.pk for i in invoices if i.status == InvoiceStatus.ISSUED and i.due_date < on]
    if not candidate_ids:
        return owed
    rows = list(
        invoices_outstanding(Invoice.objects.filter(pk__in=candidate_ids)).values_list(*_INVOICE_FIELDS)
    )
    if not rows:
        return owed
    ids = [row[0] for row in rows]
    charged = list(
        LateFee.objects.filter(invoice_id__in=ids).values_list("invoice_id", "step", "waiver_id", "amount")
    )
    fees = _fees_to_charge(rows, list(LateFeeRule.objects.all()), {(i, s) for i, s, _w, _a in charged}, on)
    if fees:
        LateFee.objects.bulk_create(fees, ignore_conflicts=True)
        # Read back what is stored: a concurrent charge of the same step keeps its own row.
        charged = list(
            LateFee.objects.filter(invoice_id__in=ids).values_list(
                "invoice_id", "step", "waiver_id", "amount"
            )
        )
    for invoice_id, _step, waiver_id, amount in charged:
        if waiver_id is None:
            owed[invoice_id] += amount
    return owed


# --- Waivers (pemutihan) ---------------------------------------------------------------------------


def late_fee_waiver_request(
    *,
    actor,
    reason: str,
    customer: Customer | None = None,
    period: Period | None = None,
    tariff_class: TariffClass | None = None,
    zone: Zone | None = None,
) -> LateFeeWaiver:
    """Ask for a pemutihan: for one customer or by filter, with a reason. A second person (a
    supervisor) approves it before anything is waived."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the waiver.")})
    if customer is None and period is None and tariff_class is None and zone is None:
        raise ValidationError(_("Choose a customer, or at least one of period, tariff class and zone."))
    with transaction.atomic():
        waiver = LateFeeWaiver.objects.create(
            customer=customer,
            period=period,
            tariff_class=tariff_class,
            zone=zone,
            reason=reason,
            requested_by=actor,
        )
        audit_record(
            actor=actor,
            action="late_fee_waiver.request",
            obj=waiver,
            changes={
                "customer": [None, customer.number if customer else None],
                "period": [None, period.month.isoformat() if period else None],
                "tariff_class": [None, tariff_class.code if tariff_class else None],
                "zone": [None, zone.code if zone else None],
            },
            reason=reason,
        )
    return waiver


def _waiver_for_decision(actor, waiver: LateFeeWaiver) -> LateFeeWaiver:
    locked = LateFeeWaiver.objects.select_for_update().get(pk=waiver.pk)
    if locked.state != WaiverState.REQUESTED:
        raise ValidationError(_("This waiver was already decided."))
    if locked.requested_by_id == actor.pk:
        raise ValidationError(_("A waiver needs a second person: you cannot decide on your own request."))
    return locked


def late_fee_waiver_approve(*, actor, waiver: LateFeeWaiver, note: str = "") -> LateFeeWaiver:
    """Approve a pemutihan: the denda charged so far on the unpaid invoices it covers is waived
    (no longer owed). Refused for the person who asked for it."""
    with transaction.atomic():
        locked = _waiver_for_decision(actor, waiver)
        fees = waiver_fees(locked)
        # Lock the invoices in id order, as payments does: a payment taken at the same moment
        # either settles with the denda before this, or after it without.
        invoice_ids = list(fees.order_by().values_list("invoice_id", flat=True).distinct())
        list(Invoice.objects.select_for_update().filter(pk__in=invoice_ids).order_by("pk").values_list("pk"))
        waived = list(waiver_fees(locked).values_list("pk", "amount"))
        LateFee.objects.filter(pk__in=[pk for pk, _amount in waived]).update(waiver=locked)
        locked.state = WaiverState.APPROVED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = note.strip()
        locked.fees_waived = len(waived)
        locked.amount_waived = sum(amount for _pk, amount in waived)
        locked.save(
            update_fields=[
                "state",
                "decided_by",
                "decided_at",
                "decision_note",
                "fees_waived",
                "amount_waived",
            ]
        )
        audit_record(
            actor=actor,
            action="late_fee_waiver.approve",
            obj=locked,
            changes={
                "state": [WaiverState.REQUESTED, WaiverState.APPROVED],
                "fees_waived": [0, locked.fees_waived],
                "amount_waived": [0, locked.amount_waived],
            },
            reason=locked.decision_note,
        )
    return locked


def late_fee_waiver_reject(*, actor, waiver: LateFeeWaiver, note: str) -> LateFeeWaiver:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Give the reason for rejecting the waiver.")})
    with transaction.atomic():
        locked = _waiver_for_decision(actor, waiver)
        locked.state = WaiverState.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="late_fee_waiver.reject",
            obj=locked,
            changes={"state": [WaiverState.REQUESTED, WaiverState.REJECTED]},
            reason=note,
        )
    return locked
