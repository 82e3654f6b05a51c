"""Koreksi rekening (bill correction): cancel an issued invoice and issue its replacement.

CS staff or a supervisor request a correction with a reason; a supervisor other than the
requester approves it (four eyes) or rejects it. An approval, in one transaction: corrects the
period's reading through meters when a new stand was proposed, cancels the original (it stays,
linked to its replacement), issues the replacement numbered ``<original>-K1``, ``-K2``…, asks
payments (through `billing.extensions`) what was paid on the original, and records the
difference that payments turns into an amount due or a customer credit.

What a replacement recomputes (`replacement_draft`):

- kind "new reading": the month's usage from the corrected stand, at the original's tariff
  class and meter size. When the corrected reading covers several months (after estimates), the
  usage is spread again with `spread_usage` and the true-up against the earlier months' invoices
  recomputed, replacing the original's adjustment lines; otherwise the original's adjustment
  lines are carried over unchanged.
- kind "other" (wrong tariff class, wrong meter size, data error): the reading's usage as it
  stands, at what the registry says now: the customer's tariff class and the meter's size. Fix
  the registry first, then approve; an approval that would change nothing is refused.

Either way the tariff version is the one in force for the invoice's period.

Correcting an older month (a later month already has a reading): the next reading's usage
starts from the corrected stand, so a stand misread 5 m³ too high bills 5 m³ too much in its
month and 5 m³ too little in the next. The approval therefore re-rates both, in the same
transaction and under the same four-eyes decision: the older invoice is replaced as above, and
the next month's issued invoice is replaced too (its usage recounted from the corrected stand
by meters, its own stand and adjustment lines kept), each at its own month's tariff. The
replacement of the next month is linked on the correction as ``carried_replacement`` and shown
on both invoices ("carried to" / "carried from"). Only that next month changes: the readings
after it start from its stand, which did not move. When the next month is read but not billed
yet, only its reading is recounted and the bill run bills it from there. Meters refuses what it
cannot recount exactly (next reading estimated, covering several months, rolled over, on another
meter, or below the corrected stand); the next invoice waiting on a correction of its own is
refused here. Paid amounts move per invoice through payments as for any replacement.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.bill_run import EarlierMonth, due_date, invoice_number, spread_usage, true_up_lines
from billing.extensions import credit_carried, invoice_replaced, paid_amount
from billing.models import (
    CatchUp,
    CorrectionKind,
    CorrectionState,
    Invoice,
    InvoiceCorrection,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    TariffVersion,
)
from billing.selectors import tariff_snapshot, tariff_version_for
from billing.tariffs import ChargeLine, charges_total, compute_charges, lines_finalized
from customers.models import Customer, TariffClass
from meters.models import Meter, Reading
from meters.selectors import month_add
from meters.services import reading_correct_billed
from pdam.audit import audit_record

# --- What a replacement would be ---------------------------------------------------------------


@dataclass
class ReplacementDraft:
    """The replacement invoice before it is written: the same fields the page shows for one."""

    number: str
    tariff_class: TariffClass
    tariff_version: TariffVersion
    meter_size: str
    previous_stand: int | None
    current_stand: int | None
    usage_m3: int
    billed_usage_m3: int
    estimated: bool
    fixed_only: bool
    lines: list[ChargeLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return charges_total(self.lines)

    @property
    def carried_to_credit(self) -> int:
        return sum(line.amount for line in self.lines if line.kind == LineKind.TO_CREDIT)


def _carried(line: InvoiceLine) -> ChargeLine:
    return ChargeLine(
        kind=line.kind,
        description=line.description,
        quantity_m3=line.quantity_m3,
        unit_price=line.unit_price,
        amount=line.amount,
        tax_rate_bp=line.tax_rate_bp,
        tax_amount=line.tax_amount,
    )


def _version_for(tariff_class: TariffClass, month: datetime.date) -> TariffVersion:
    version = tariff_version_for(tariff_class=tariff_class, period=month)
    if version is None:
        raise ValidationError(
            _("%(class)s has no tariff in force for %(month)s.")
            % {"class": tariff_class, "month": month.strftime("%m/%Y")}
        )
    return version


def _true_up(
    *, invoice: Invoice, spread: list[int], tariff_class: TariffClass, meter_size: str
) -> list[ChargeLine]:
    """The true-up of the estimated months before the invoice's, as the bill run computes it:
    each month re-rated at the tariff its own invoice used, against the water it billed."""
    months = [month_add(invoice.period.month, -k) for k in range(len(spread) - 1, 0, -1)]
    billed = {
        earlier.period.month: earlier
        for earlier in Invoice.objects.filter(
            customer_id=invoice.customer_id, status=InvoiceStatus.ISSUED, period__month__in=months
        )
        .select_related("period", "tariff_version")
        .prefetch_related("lines", "tariff_version__blocks", "tariff_version__fixed_charges")
    }
    earlier = []
    for month in months:
        found = billed.get(month)
        if found is None:  # not billed that month: the whole share is charged
            version, usage, water = _version_for(tariff_class, month), 0, 0
        else:
            version, usage = found.tariff_version, found.billed_usage_m3
            water = sum(
                line.total
                for line in found.lines.all()
                if line.kind
                not in (LineKind.FIXED, LineKind.ADJUSTMENT, LineKind.TO_CREDIT, LineKind.CATCH_UP)
            )
        earlier.append(
            EarlierMonth(
                month=month, tariff=tariff_snapshot(version), billed_usage_m3=usage, billed_water=water
            )
        )
    return true_up_lines(earlier=earlier, spread=spread[:-1], meter_size=meter_size)


def replacement_number(invoice: Invoice) -> str:
    """``<original number>-K<n>``: the n-th replacement of the customer's bill for the period."""
    replaced = Invoice.objects.filter(
        customer_id=invoice.customer_id, period_id=invoice.period_id, replaces__isnull=False
    ).count()
    return invoice_number(
        period=invoice.period, customer_number=invoice.customer.number, suffix=f"-K{replaced + 1}"
    )


def replacement_draft(*, invoice: Invoice, kind: str, reading: Reading | None) -> ReplacementDraft:
    """The replacement's lines, described in the utility's language whoever approves."""
    with translation.override(settings.LANGUAGE_CODE):
        draft = _replacement_draft(invoice=invoice, kind=kind, reading=reading)
        draft.lines, _carried_amount = lines_finalized(draft.lines)
        return draft


def _replacement_draft(*, invoice: Invoice, kind: str, reading: Reading | None) -> ReplacementDraft:
    """What the replacement of `invoice` charges, given its (possibly corrected) reading."""
    if kind == CorrectionKind.OTHER:
        tariff_class = invoice.customer.tariff_class
        meter = (
            reading.meter
            if reading
            else Meter.objects.filter(customer_id=invoice.customer_id, removed_on__isnull=True).first()
        )
        meter_size = meter.size if meter else invoice.meter_size
    else:
        tariff_class, meter_size = invoice.tariff_class, invoice.meter_size
    version = _version_for(tariff_class, invoice.period.month)
    tariff = tariff_snapshot(version)
    draft = ReplacementDraft(
        number=replacement_number(invoice),
        tariff_class=tariff_class,
        tariff_version=version,
        meter_size=meter_size,
        previous_stand=invoice.previous_stand,
        current_stand=invoice.current_stand,
        usage_m3=0,
        billed_usage_m3=0,
        estimated=False,
        fixed_only=invoice.fixed_only,
    )
    # Catch-ups of earlier held months are not this month's charges: carried over as they are.
    catch_ups = [_carried(line) for line in invoice.lines.all() if line.kind == LineKind.CATCH_UP]
    if invoice.fixed_only:
        draft.lines = [
            line
            for line in compute_charges(tariff, usage_m3=0, meter_size=meter_size)
            if line.kind == "fixed"
        ] + catch_ups
        return draft
    months = reading.months_covered
    spread = spread_usage(reading.usage_m3, months) if months > 1 else [reading.usage_m3]
    draft.previous_stand, draft.current_stand = reading.previous_stand, reading.stand
    draft.usage_m3, draft.billed_usage_m3, draft.estimated = reading.usage_m3, spread[-1], reading.estimated
    draft.lines = compute_charges(tariff, usage_m3=spread[-1], meter_size=meter_size)
    if months > 1:
        draft.lines += _true_up(
            invoice=invoice, spread=spread, tariff_class=tariff_class, meter_size=meter_size
        )
    else:
        draft.lines += [_carried(line) for line in invoice.lines.all() if line.kind == LineKind.ADJUSTMENT]
    draft.lines += catch_ups
    return draft


def _line_key(line) -> tuple:
    return (line.kind, line.quantity_m3, line.unit_price, line.amount, line.tax_rate_bp, line.tax_amount)


def _changes_nothing(invoice: Invoice, draft: ReplacementDraft) -> bool:
    return (
        draft.tariff_version.pk == invoice.tariff_version_id
        and draft.meter_size == invoice.meter_size
        and (draft.current_stand, draft.usage_m3) == (invoice.current_stand, invoice.usage_m3)
        and [_line_key(line) for line in draft.lines] == [_line_key(line) for line in invoice.lines.all()]
    )


def _corrected_reading(*, actor, invoice: Invoice, stand: int, reason: str, dry_run: bool) -> Reading:
    try:
        return reading_correct_billed(
            actor=actor, reading=invoice.reading, stand=stand, reason=reason, dry_run=dry_run
        )
    except ValidationError as error:
        if hasattr(error, "error_dict") and "stand" in error.error_dict:
            raise ValidationError({"proposed_stand": error.error_dict["stand"]}) from None
        raise


@dataclass
class Proposal:
    """The replacement of the corrected invoice and, when an older month's stand moved, the
    replacement of the next month's invoice (whose usage starts from that stand)."""

    draft: ReplacementDraft
    following: Invoice | None = None
    following_draft: ReplacementDraft | None = None


def _following_invoice(*, reading: Reading, lock: bool) -> Invoice | None:
    invoices = Invoice.objects.filter(reading_id=reading.pk, status=InvoiceStatus.ISSUED)
    if lock:
        invoices = invoices.select_for_update(of=("self",))
    following = (
        invoices.select_related("customer__tariff_class", "period", "tariff_class", "reading__meter")
        .order_by("-id")
        .first()
    )
    if following is not None and (
        InvoiceCorrection.objects.filter(invoice=following, state=CorrectionState.PENDING).exists()
    ):
        raise ValidationError(
            _(
                "Invoice %(number)s of the next month waits for a correction of its own; decide that "
                "one first."
            )
            % {"number": following.number}
        )
    return following


def _proposed(*, actor, invoice: Invoice, correction: InvoiceCorrection, dry_run: bool) -> Proposal:
    reading = invoice.reading
    if correction.kind == CorrectionKind.NEW_READING:
        reading = _corrected_reading(
            actor=actor,
            invoice=invoice,
            stand=correction.proposed_stand,
            reason=correction.reason,
            dry_run=dry_run,
        )
    proposal = Proposal(draft=replacement_draft(invoice=invoice, kind=correction.kind, reading=reading))
    after = getattr(reading, "following", None)
    if after is not None:
        proposal.following = _following_invoice(reading=after, lock=not dry_run)
        if proposal.following is not None:
            proposal.following_draft = replacement_draft(
                invoice=proposal.following, kind=CorrectionKind.NEW_READING, reading=after
            )
    return proposal


def _check_issued(invoice: Invoice) -> None:
    if invoice.status == InvoiceStatus.ISSUED:
        return
    replacement = Invoice.objects.filter(replaces=invoice).only("number").first()
    if replacement is not None:
        raise ValidationError(
            _("Invoice %(number)s is cancelled; correct its replacement %(replacement)s instead.")
            % {"number": invoice.number, "replacement": replacement.number}
        )
    raise ValidationError(_("Invoice %(number)s is cancelled.") % {"number": invoice.number})


def _lock_invoice(pk: int) -> Invoice:
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("customer__tariff_class", "period", "tariff_class", "reading__meter")
        .get(pk=pk)
    )


# --- Request, approve, reject -----------------------------------------------------------------


def invoice_correction_request(
    *, actor, invoice: Invoice, kind: str, reason: str, proposed_stand: int | None = None
) -> InvoiceCorrection:
    """Ask for a correction of an issued invoice. One pending correction per invoice."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("Say why the invoice must be corrected.")]
    if kind not in CorrectionKind.values:
        errors["kind"] = [_("Choose what is wrong with the invoice.")]
    elif kind == CorrectionKind.NEW_READING and proposed_stand is None:
        errors["proposed_stand"] = [_("Type the stand the meter really showed.")]
    elif kind == CorrectionKind.OTHER and proposed_stand is not None:
        errors["proposed_stand"] = [
            _("A stand goes with a new reading; leave it empty for other corrections.")
        ]
    if proposed_stand is not None and proposed_stand < 0:
        errors["proposed_stand"] = [_("A stand cannot be negative.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock_invoice(invoice.pk)
        _check_issued(locked)
        if InvoiceCorrection.objects.filter(invoice=locked, state=CorrectionState.PENDING).exists():
            raise ValidationError(
                _("A correction of invoice %(number)s is waiting for approval already.")
                % {"number": locked.number}
            )
        correction = InvoiceCorrection(
            invoice=locked, kind=kind, reason=reason, proposed_stand=proposed_stand, requested_by=actor
        )
        if kind == CorrectionKind.NEW_READING:
            if locked.reading is None or locked.fixed_only:
                raise ValidationError(
                    {
                        "kind": _(
                            "This invoice was not billed from a meter reading; a new stand changes nothing."
                        )
                    }
                )
            if not locked.reading.estimated and locked.reading.stand == proposed_stand:
                raise ValidationError({"proposed_stand": _("That is the stand already billed.")})
            # Refuses a stand the reading rules refuse, and a period without a tariff, now.
            _proposed(actor=actor, invoice=locked, correction=correction, dry_run=True)
        try:
            with transaction.atomic():
                correction.save()
        except IntegrityError:
            raise ValidationError(
                _("A correction of invoice %(number)s is waiting for approval already.")
                % {"number": locked.number}
            ) from None
        audit_record(
            actor=actor,
            action="invoice_correction.request",
            obj=correction,
            changes={
                "invoice": [None, locked.number],
                "kind": [None, kind],
                **({"proposed_stand": [None, proposed_stand]} if proposed_stand is not None else {}),
            },
            reason=reason,
        )
    return correction


def _lock_pending(correction: InvoiceCorrection) -> tuple[Invoice, InvoiceCorrection]:
    """Lock the invoice, then its correction (the order every path here takes), and check the
    correction still waits for a decision."""
    invoice = _lock_invoice(correction.invoice_id)
    locked = InvoiceCorrection.objects.select_for_update().get(pk=correction.pk)
    if locked.state != CorrectionState.PENDING:
        raise ValidationError(
            _("This correction was %(state)s already.") % {"state": locked.get_state_display().lower()}
        )
    return invoice, locked


def _issue_replacement(*, actor, original: Invoice, draft: ReplacementDraft, reason: str, now) -> Invoice:
    original.status = InvoiceStatus.CANCELLED
    original.cancelled_at = now
    original.cancel_reason = reason
    original.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    replacement = Invoice.objects.create(
        number=draft.number,
        customer_id=original.customer_id,
        period_id=original.period_id,
        reading_id=original.reading_id,
        tariff_version=draft.tariff_version,
        tariff_class=draft.tariff_class,
        route_id=original.route_id,
        meter_size=draft.meter_size,
        previous_stand=draft.previous_stand,
        current_stand=draft.current_stand,
        usage_m3=draft.usage_m3,
        billed_usage_m3=draft.billed_usage_m3,
        estimated=draft.estimated,
        fixed_only=draft.fixed_only,
        total=draft.total,
        due_date=due_date(original.period, timezone.localdate(now)),
        status=InvoiceStatus.ISSUED,
        issued_at=now,
        replaces=original,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=replacement,
            position=position,
            kind=line.kind,
            description=line.description[:200],
            quantity_m3=line.quantity_m3,
            unit_price=line.unit_price,
            amount=line.amount,
            tax_rate_bp=line.tax_rate_bp,
            tax_amount=line.tax_amount,
        )
        for position, line in enumerate(draft.lines, 1)
    )
    CatchUp.objects.filter(invoice=original).update(invoice=replacement)
    # The original's true-up excess was given as credit already: only the difference moves.
    carried_before = sum(line.amount for line in original.lines.all() if line.kind == LineKind.TO_CREDIT)
    credit_carried(invoice=replacement, amount=draft.carried_to_credit - carried_before, actor=actor)
    invoice_replaced(original=original, replacement=replacement, actor=actor)
    audit_record(
        actor=actor,
        action="invoice.cancel",
        obj=original,
        changes={
            "status": [InvoiceStatus.ISSUED.value, original.status],
            "replaced_by": [None, replacement.number],
        },
        reason=reason,
    )
    audit_record(
        actor=actor,
        action="invoice.issue_replacement",
        obj=replacement,
        changes={"replaces": [None, original.number], "total": [original.total, replacement.total]},
        reason=reason,
    )
    return replacement


def _carry_reason(*, number: str, reason: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Usage recounted from the corrected stand of invoice %(number)s: %(reason)s") % {
            "number": number,
            "reason": reason,
        }


def invoice_correction_approve(*, actor, correction: InvoiceCorrection, note: str = "") -> InvoiceCorrection:
    """Approve: cancel the original and issue its replacement, in one transaction.

    The approver must not be the requester (four eyes).
    """
    note = (note or "").strip()
    with transaction.atomic(durable=True):
        # The customer first, as every service that corrects a reading locks it first.
        Customer.objects.select_for_update().filter(pk=correction.invoice.customer_id).first()
        original, locked = _lock_pending(correction)
        if actor.pk == locked.requested_by_id:
            raise ValidationError(
                _("You asked for this correction; another supervisor must approve it (four eyes).")
            )
        _check_issued(original)
        proposal = _proposed(actor=actor, invoice=original, correction=locked, dry_run=False)
        draft = proposal.draft
        if locked.kind == CorrectionKind.OTHER and _changes_nothing(original, draft):
            raise ValidationError(
                _(
                    "The replacement would be the same as the invoice. Correct the customer's tariff "
                    "class or meter first, or reject the correction."
                )
            )
        paid = paid_amount(original)
        now = timezone.now()
        replacement = _issue_replacement(
            actor=actor, original=original, draft=draft, reason=locked.reason, now=now
        )
        if proposal.following is not None:
            following_paid = paid_amount(proposal.following)
            locked.carried_replacement = _issue_replacement(
                actor=actor,
                original=proposal.following,
                draft=proposal.following_draft,
                reason=_carry_reason(number=original.number, reason=locked.reason),
                now=now,
            )
            audit_record(
                actor=actor,
                action="invoice_correction.carry",
                obj=locked,
                changes={
                    "carried_replacement": [None, locked.carried_replacement.number],
                    "paid_before": [None, following_paid],
                    "difference": [None, locked.carried_replacement.total - following_paid],
                },
                reason=locked.reason,
            )
        locked.state = CorrectionState.APPROVED
        locked.decided_by = actor
        locked.decided_at = now
        locked.decision_note = note
        locked.replacement = replacement
        locked.paid_before = paid
        locked.difference = replacement.total - paid
        locked.save()
        audit_record(
            actor=actor,
            action="invoice_correction.approve",
            obj=locked,
            changes={
                "state": [CorrectionState.PENDING.value, locked.state],
                "replacement": [None, replacement.number],
                "paid_before": [None, paid],
                "difference": [None, locked.difference],
            },
            reason=note,
        )
    return locked


def invoice_correction_reject(*, actor, correction: InvoiceCorrection, note: str) -> InvoiceCorrection:
    """Reject with a reason; nothing else changes. The requester may reject (withdraw) their own
    request: four eyes guard what moves money, and a rejection moves none."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why the correction is rejected.")})
    with transaction.atomic():
        _invoice, locked = _lock_pending(correction)
        locked.state = CorrectionState.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="invoice_correction.reject",
            obj=locked,
            changes={"state": [CorrectionState.PENDING.value, locked.state]},
            reason=note,
        )
    return locked


# --- Reads -------------------------------------------------------------------------------------


def _corrections() -> QuerySet[InvoiceCorrection]:
    return InvoiceCorrection.objects.select_related(
        "invoice__customer", "invoice__period", "requested_by", "decided_by", "replacement"
    )


def correction_queue(*, recent: int = 50) -> tuple[list[InvoiceCorrection], list[InvoiceCorrection]]:
    """The approval queue: every pending correction, oldest first; then the latest decisions."""
    pending = list(_corrections().filter(state=CorrectionState.PENDING).order_by("requested_at", "id"))
    decided = list(
        _corrections().exclude(state=CorrectionState.PENDING).order_by("-decided_at", "-id")[:recent]
    )
    return pending, decided


def correction_get(*, pk: int) -> InvoiceCorrection:
    return (
        _corrections()
        .select_related(
            "invoice__customer__tariff_class",
            "invoice__tariff_class",
            "invoice__tariff_version",
            "invoice__reading__meter",
            "replacement__tariff_class",
            "replacement__tariff_version",
        )
        .prefetch_related("invoice__lines", "replacement__lines")
        .get(pk=pk)
    )


def invoice_for_correction(*, number: str) -> Invoice:
    return (
        Invoice.objects.select_related(
            "customer__tariff_class", "period", "tariff_class", "tariff_version", "reading__meter"
        )
        .prefetch_related("lines")
        .get(number=number)
    )


def invoice_pending_correction(*, invoice: Invoice) -> InvoiceCorrection | None:
    return InvoiceCorrection.objects.filter(invoice=invoice, state=CorrectionState.PENDING).first()


def invoice_replacement(*, invoice: Invoice) -> Invoice | None:
    return Invoice.objects.filter(replaces=invoice).first()


@dataclass(frozen=True)
class CorrectionPreview:
    """A pending correction as it would be approved now, or why it could not be."""

    draft: ReplacementDraft | None
    problem: str
    paid: int
    following: Invoice | None = None
    following_draft: ReplacementDraft | None = None

    @property
    def difference(self) -> int | None:
        return None if self.draft is None else self.draft.total - self.paid


def correction_preview(*, correction: InvoiceCorrection) -> CorrectionPreview:
    """Computes the replacement without writing anything (the reading is corrected unsaved)."""
    invoice = correction.invoice
    try:
        _check_issued(invoice)
        proposal = _proposed(actor=None, invoice=invoice, correction=correction, dry_run=True)
    except ValidationError as error:
        return CorrectionPreview(draft=None, problem=" ".join(error.messages), paid=paid_amount(invoice))
    return CorrectionPreview(
        draft=proposal.draft,
        problem="",
        paid=paid_amount(invoice),
        following=proposal.following,
        following_draft=proposal.following_draft,
    )
