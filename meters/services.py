"""Writes for meters and readings. Each owns its transaction, locks the customer's row while it
decides, and keeps who, when, old value, new value and why in the audit trail."""

import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, CustomerStatus
from meters.models import Meter, Period, PeriodState, Reading, ReadingMethod, ReadingStatus
from meters.rules import StandRefused, estimate_usage, evaluate_reading
from meters.selectors import month_add, period_for_month, reading_facts_for, thresholds
from pdam.audit import audit_record


def period_get_or_open(*, month: datetime.date) -> Period:
    """The period of a month; a month nobody has used yet opens for readings."""
    month = month.replace(day=1)
    period, _created = Period.objects.get_or_create(month=month)
    return period


def period_set_state(*, actor, period: Period, state: str) -> Period:
    """Move a period along open → billing → billed (the bill run calls this)."""
    order = [PeriodState.OPEN, PeriodState.BILLING, PeriodState.BILLED]
    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        if order.index(state) < order.index(locked.state):
            raise ValidationError(_("A billed period cannot be reopened; correct its bills instead."))
        if state != locked.state:
            audit_record(
                actor=actor, action="period.state", obj=locked, changes={"state": [locked.state, state]}
            )
            locked.state = state
            locked.save(update_fields=["state"])
    return locked


def _meter_save_new(
    *,
    customer: Customer,
    serial_number: str,
    brand: str,
    size: str,
    digits: int,
    installed_on: datetime.date,
    initial_stand: int,
) -> Meter:
    meter = Meter(
        customer=customer,
        serial_number=serial_number.strip().upper(),
        brand=brand.strip(),
        size=size,
        digits=digits,
        installed_on=installed_on,
        initial_stand=initial_stand,
    )
    meter.full_clean()
    if initial_stand > meter.max_stand:
        raise ValidationError({"initial_stand": _("The stand is beyond this meter's register.")})
    meter.save()
    return meter


def meter_install(
    *,
    actor,
    customer: Customer,
    serial_number: str,
    installed_on: datetime.date,
    size: str,
    digits: int = 5,
    brand: str = "",
    initial_stand: int = 0,
    reason: str = "",
) -> Meter:
    """Install a meter at a connection that has none."""
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        if Meter.objects.filter(customer=customer, removed_on__isnull=True).exists():
            raise ValidationError(_("This connection already has a meter; replace it instead."))
        meter = _meter_save_new(
            customer=customer,
            serial_number=serial_number,
            brand=brand,
            size=size,
            digits=digits,
            installed_on=installed_on,
            initial_stand=initial_stand,
        )
        audit_record(
            actor=actor,
            action="meter.install",
            obj=customer,
            changes={"meter": [None, meter.serial_number], "initial_stand": [None, initial_stand]},
            reason=reason or _("Meter installed"),
        )
    return meter


def meter_replace(
    *,
    actor,
    customer: Customer,
    replaced_on: datetime.date,
    final_stand: int,
    serial_number: str,
    size: str,
    reason: str,
    digits: int = 5,
    brand: str = "",
    initial_stand: int = 0,
) -> Meter:
    """Replace a connection's meter: the old one's final stand and the new one's initial stand.

    The next reading's usage is the sum over both meters (see `reading_facts_for`).
    """
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the meter is replaced.")})
    if replaced_on > timezone.localdate():
        raise ValidationError({"replaced_on": _("The date cannot be in the future.")})
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        old = Meter.objects.filter(customer=customer, removed_on__isnull=True).first()
        if old is None:
            raise ValidationError(_("This connection has no meter to replace."))
        if replaced_on < old.installed_on:
            raise ValidationError({"replaced_on": _("The old meter was installed after that date.")})
        period = period_for_month(month=replaced_on)
        facts = reading_facts_for(customer_ids=[customer.pk], period=period)[customer.pk].facts
        last = facts.previous_stand if facts else old.initial_stand
        if final_stand < last or final_stand > old.max_stand:
            raise ValidationError(
                {
                    "final_stand": _("The old meter's final stand must be between %(low)s and %(high)s.")
                    % {"low": last, "high": old.max_stand}
                }
            )
        old.removed_on = replaced_on
        old.final_stand = final_stand
        old.save(update_fields=["removed_on", "final_stand"])
        new = _meter_save_new(
            customer=customer,
            serial_number=serial_number,
            brand=brand,
            size=size,
            digits=digits,
            installed_on=replaced_on,
            initial_stand=initial_stand,
        )
        audit_record(
            actor=actor,
            action="meter.replace",
            obj=customer,
            changes={
                "meter": [old.serial_number, new.serial_number],
                "final_stand": [None, final_stand],
                "initial_stand": [None, initial_stand],
            },
            reason=reason.strip(),
        )
    return new


def reading_lock_check(*, period: Period, reading: Reading | None) -> None:
    """Readings change freely while the period is open. Once the bill run has started only the
    readings it held back (flagged or sent back) may still change, even after the period is
    closed: their water is then billed on the next invoice as a catch-up (billing.closing)."""
    if period.state == PeriodState.OPEN:
        return
    if reading is not None and reading.status != ReadingStatus.OK:
        return
    if period.state == PeriodState.BILLING:
        raise ValidationError(
            _("The bill run for %(period)s has started: this reading is billed or enters the next period.")
            % {"period": period}
        )
    raise ValidationError(_("Period %(period)s is billed; its readings are locked.") % {"period": period})


def reading_date_check(read_on: datetime.date, period: Period) -> None:
    if read_on > timezone.localdate():
        raise ValidationError({"read_on": _("The reading date cannot be in the future.")})
    # The reading window: from the month before the period to the period's end.
    if not month_add(period.month, -1) <= read_on < month_add(period.month, 1):
        raise ValidationError(
            {
                "read_on": _("A reading for %(period)s must be dated in that month or the month before.")
                % {"period": period}
            }
        )


def _reading_changes(old: Reading | None, new: Reading) -> dict:
    fields = ["stand", "anomaly", "usage_m3", "status", "estimated"]
    if old is None:
        return {f: [None, getattr(new, f)] for f in fields}
    return {f: [getattr(old, f), getattr(new, f)] for f in fields if getattr(old, f) != getattr(new, f)}


PHOTO_EXTENSION = {"JPEG": "jpg", "PNG": "png"}


def _photo_check(photo: UploadedFile | None) -> None:
    """Size first (before Pillow reads it), then the type from the content, never from the name;
    the stored name gets the extension of the real type."""
    if photo is None:
        return
    from django.conf import settings
    from PIL import Image, UnidentifiedImageError

    if photo.size > settings.READING_PHOTO_MAX_BYTES:
        raise ValidationError(
            {
                "photo": _("The photo is too large (at most %(mb)s MB).")
                % {"mb": settings.READING_PHOTO_MAX_BYTES // (1024 * 1024)}
            }
        )
    try:
        with Image.open(photo) as image:
            image.verify()
            if image.format not in ("JPEG", "PNG"):
                raise ValidationError({"photo": _("The photo must be a JPEG or PNG image.")})
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError({"photo": _("The photo is not a readable image.")}) from None
    photo.seek(0)
    photo.name = f"reading.{PHOTO_EXTENSION[image.format]}"


def reading_record(
    *,
    actor,
    customer: Customer,
    period: Period,
    stand: int | None,
    read_on: datetime.date,
    method: str,
    anomaly: str = "",
    reader: str = "",
    photo: UploadedFile | None = None,
    reason: str = "",
) -> Reading:
    """Enter (or re-enter) a customer's reading for a period and decide its usage and status.

    A stand lower than the last one is refused unless it is a rollover; an anomaly without a
    usable stand gives an estimate; zero or abnormal usage is held for verification.
    """
    _photo_check(photo)
    reading_date_check(read_on, period)
    with transaction.atomic():
        locked_customer = Customer.objects.select_for_update().get(pk=customer.pk)
        period = Period.objects.get(pk=period.pk)
        existing = Reading.objects.filter(customer=customer, period=period).first()
        reading_lock_check(period=period, reading=existing)
        if locked_customer.status not in (CustomerStatus.ACTIVE, CustomerStatus.SEALED):
            raise ValidationError(
                _("Customer %(number)s is %(status)s; their meter is not read.")
                % {"number": locked_customer.number, "status": locked_customer.get_status_display().lower()}
            )
        if Reading.objects.filter(customer=customer, period__month__gt=period.month).exists():
            raise ValidationError(_("A later period already has a reading; this one can no longer change."))
        if existing and existing.status == ReadingStatus.OK and existing.verified_by_id and not reason:
            raise ValidationError(_("This reading was verified; give a reason to change it."))
        customer_facts = reading_facts_for(customer_ids=[customer.pk], period=period)[customer.pk]
        if customer_facts.meter is None:
            raise ValidationError(
                _("Customer %(number)s has no meter installed.") % {"number": customer.number}
            )
        try:
            evaluation = evaluate_reading(
                facts=customer_facts.facts, stand=stand, anomaly=anomaly, thresholds=thresholds()
            )
        except StandRefused as refused:
            raise ValidationError({"stand": str(refused)}) from None
        reading = existing or Reading(customer=customer, period=period)
        before = (
            Reading(**{f.attname: getattr(existing, f.attname) for f in Reading._meta.concrete_fields})
            if existing
            else None
        )
        reading.meter = customer_facts.meter
        reading.stand = evaluation.stand
        reading.previous_stand = customer_facts.facts.previous_stand
        reading.usage_m3 = evaluation.usage_m3
        reading.months_covered = 1 if evaluation.estimated else customer_facts.facts.months_covered
        reading.replaced_meter_usage_m3 = customer_facts.facts.replaced_meter_usage_m3
        reading.rollover = evaluation.rollover
        reading.estimated = evaluation.estimated
        reading.read_on = read_on
        reading.reader = reader.strip()[:60]
        reading.method = ReadingMethod.ESTIMATE if evaluation.estimated else method
        reading.anomaly = anomaly
        reading.flags = list(evaluation.flags)
        reading.status = evaluation.status
        reading.entered_by = actor if actor and actor.is_authenticated else None
        reading.verified_by = None
        reading.verified_at = None
        reading.updated_at = timezone.now()
        if photo is not None:
            reading.photo = photo
        try:
            with transaction.atomic():
                reading.save()
        except IntegrityError:
            raise ValidationError(
                _("Someone else saved this reading at the same moment; reload and check.")
            ) from None
        changes = _reading_changes(before, reading)
        if changes:
            audit_record(
                actor=actor,
                action="reading.update" if existing else "reading.create",
                obj=reading,
                changes=changes,
                reason=reason or ("" if existing is None else _("Re-entered")),
            )
    return reading


class VerifyAction:
    CONFIRM = "confirm"
    CORRECT = "correct"
    REREAD = "reread"


def reading_verify(
    *, actor, reading: Reading, action: str, reason: str = "", stand: int | None = None, anomaly: str = ""
) -> Reading:
    """A supervisor's decision on a flagged reading: confirm it, correct it, or send it back."""
    if action != VerifyAction.CONFIRM and not reason.strip():
        raise ValidationError({"reason": _("Say why.")})
    if action == VerifyAction.CORRECT:
        with transaction.atomic():
            corrected = reading_record(
                actor=actor,
                customer=reading.customer,
                period=reading.period,
                stand=stand,
                anomaly=anomaly,
                read_on=reading.read_on,
                method=ReadingMethod.OFFICE,
                reader=reading.reader,
                reason=reason.strip(),
            )
            # The supervisor typed it: their correction is verified as it stands. (The lock was
            # checked on the held reading; a correction that reads normally is no longer held.)
            return _reading_decide(actor=actor, reading=corrected, action=VerifyAction.CONFIRM, reason=reason)
    return _reading_decide(actor=actor, reading=reading, action=action, reason=reason, check_lock=True)


def _reading_decide(
    *, actor, reading: Reading, action: str, reason: str, check_lock: bool = False
) -> Reading:
    with transaction.atomic():
        locked = Reading.objects.select_for_update().select_related("period").get(pk=reading.pk)
        if check_lock:
            reading_lock_check(period=locked.period, reading=locked)
        if action == VerifyAction.CONFIRM:
            if locked.status == ReadingStatus.OK and locked.verified_by_id:
                return locked
            new_status = ReadingStatus.OK
        elif action == VerifyAction.REREAD:
            if locked.period.state == PeriodState.BILLED:
                raise ValidationError(
                    _("Period %(period)s is closed: its meter can no longer be read. Confirm or correct it.")
                    % {"period": locked.period}
                )
            new_status = ReadingStatus.REREAD
        else:
            raise ValueError(action)
        audit_record(
            actor=actor,
            action=f"reading.{action}",
            obj=locked,
            changes={"status": [locked.status, new_status]},
            reason=reason.strip(),
        )
        locked.status = new_status
        locked.verified_by = actor if new_status == ReadingStatus.OK else None
        locked.verified_at = timezone.now() if new_status == ReadingStatus.OK else None
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "verified_by", "verified_at", "updated_at"])
    return locked


def readings_estimate_missing(*, period: Period, customer_ids: list[int]) -> dict[int, Reading]:
    """Estimated readings for customers the bill run found without one (average of the last
    three actual months, the fallback without history). Customers without a meter get none.

    Bulk, for the bill run: the caller holds the transaction; one audit row per call.
    """
    if not customer_ids:
        return {}
    limits = thresholds()
    facts = reading_facts_for(customer_ids=customer_ids, period=period)
    today = timezone.localdate()
    readings = [
        Reading(
            customer_id=customer_id,
            period=period,
            meter=found.meter,
            stand=None,
            previous_stand=found.facts.previous_stand,
            usage_m3=estimate_usage(found.facts.history_m3, limits) + found.facts.replaced_meter_usage_m3,
            months_covered=1,
            replaced_meter_usage_m3=found.facts.replaced_meter_usage_m3,
            estimated=True,
            read_on=today,
            method=ReadingMethod.ESTIMATE,
            status=ReadingStatus.OK,
        )
        for customer_id, found in facts.items()
        if found.meter is not None
    ]
    Reading.objects.bulk_create(readings, batch_size=2000)
    return {
        r.customer_id: r
        for r in Reading.objects.filter(
            period=period, customer_id__in=[r.customer_id for r in readings]
        ).select_related("meter")
    }


def reading_correct_billed(
    *, actor, reading: Reading, stand: int, reason: str, dry_run: bool = False
) -> Reading:
    """Correct the stand of a billed reading: the bill-correction path (koreksi rekening).

    The period's lock is bypassed on purpose: a billed reading changes only here, through a
    correction billing has approved, never through entry. Usage is decided again by the same
    rules and facts as at entry; the approver's correction counts as verified. Refused when the
    meter has been replaced since.

    When a later period already has a reading, the next one's usage starts from this stand: it
    is recomputed from the corrected stand (its own stand stays; the readings after it are
    unchanged). Refused when that cannot be done exactly: the next reading is on another meter,
    estimated, covers several months, rolled over, or would fall below the corrected stand.
    The corrected next reading is set on ``following`` of the returned reading (None when there
    is no later reading). ``dry_run`` returns the corrected readings unsaved, for a preview.
    """
    from meters.rules import ANOMALY_RULES

    if not reason.strip():
        raise ValidationError({"reason": _("Say why the reading is corrected.")})
    with transaction.atomic():
        readings = Reading.objects.select_related("period", "meter")
        if not dry_run:
            Customer.objects.select_for_update().filter(pk=reading.customer_id).first()
            readings = readings.select_for_update(of=("self",))
        locked = readings.get(pk=reading.pk)
        period = locked.period
        following = (
            readings.filter(customer_id=locked.customer_id, period__month__gt=period.month)
            .order_by("period__month")
            .first()
        )
        found = reading_facts_for(customer_ids=[locked.customer_id], period=period)[locked.customer_id]
        if found.meter is None or found.meter.pk != locked.meter_id:
            raise ValidationError(
                _("The meter has been replaced since this reading; it cannot be corrected here.")
            )
        # A stand was read after all: an anomaly that made the stand unusable no longer applies.
        rule = ANOMALY_RULES.get(locked.anomaly) if locked.anomaly else None
        anomaly = locked.anomaly if rule and rule.usable_stand else ""
        try:
            evaluation = evaluate_reading(
                facts=found.facts, stand=stand, anomaly=anomaly, thresholds=thresholds()
            )
        except StandRefused as refused:
            raise ValidationError({"stand": str(refused)}) from None
        fields = ("stand", "usage_m3", "months_covered", "estimated", "anomaly", "status")
        before = {f: getattr(locked, f) for f in fields}
        locked.stand = evaluation.stand
        locked.previous_stand = found.facts.previous_stand
        locked.usage_m3 = evaluation.usage_m3
        locked.months_covered = found.facts.months_covered
        locked.replaced_meter_usage_m3 = found.facts.replaced_meter_usage_m3
        locked.rollover = evaluation.rollover
        locked.estimated = False
        locked.anomaly = anomaly
        if locked.method == ReadingMethod.ESTIMATE:
            locked.method = ReadingMethod.OFFICE
        locked.flags = list(evaluation.flags)
        locked.status = ReadingStatus.OK
        locked.following = None
        if following is not None:
            locked.following = _following_restarted(following=following, corrected=locked)
        if dry_run:
            return locked
        locked.verified_by = actor if actor and actor.is_authenticated else None
        locked.verified_at = timezone.now()
        locked.updated_at = timezone.now()
        locked.save()
        changes = {f: [old, getattr(locked, f)] for f, old in before.items() if old != getattr(locked, f)}
        audit_record(
            actor=actor, action="reading.correct_billed", obj=locked, changes=changes, reason=reason.strip()
        )
        if locked.following is not None:
            after = locked.following
            after.updated_at = timezone.now()
            after.save(update_fields=["previous_stand", "usage_m3", "updated_at"])
            audit_record(
                actor=actor,
                action="reading.restart_from_corrected",
                obj=after,
                changes={
                    "previous_stand": [after.restarted_from[0], after.previous_stand],
                    "usage_m3": [after.restarted_from[1], after.usage_m3],
                },
                reason=reason.strip(),
            )
    return locked


def _following_restarted(*, following: Reading, corrected: Reading) -> Reading:
    """The next reading after `corrected`, its usage counted again from the corrected stand."""
    refused = ValidationError(
        {
            "stand": _(
                "The next reading (%(month)s) cannot be recounted from this stand (it is estimated, "
                "covers several months, rolled over or is on another meter)."
            )
            % {"month": following.period.month.strftime("%m/%Y")}
        }
    )
    if (
        following.meter_id != corrected.meter_id
        or following.estimated
        or following.stand is None
        or following.months_covered != 1
        or following.rollover
        or following.replaced_meter_usage_m3
    ):
        raise refused
    if corrected.stand is None or corrected.stand > following.stand:
        raise ValidationError(
            {
                "stand": _("The stand cannot be higher than the next reading's stand %(stand)s (%(month)s).")
                % {"stand": following.stand, "month": following.period.month.strftime("%m/%Y")}
            }
        )
    following.restarted_from = (following.previous_stand, following.usage_m3)
    following.previous_stand = corrected.stand
    following.usage_m3 = following.stand - corrected.stand
    return following
