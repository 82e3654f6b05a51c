"""Writes to billing. Each service owns its transaction and its audit rows."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import FixedCharge, FixedChargeKind, TariffBlock, TariffVersion
from billing.tariffs import BlockPrice, FixedChargeSnapshot, TariffSnapshot, validate_tariff
from customers.models import TariffClass
from meters.models import MeterSize
from pdam.audit import audit_record


def _duplicate_month_error(tariff_class: TariffClass, effective_from: datetime.date) -> ValidationError:
    return ValidationError(
        {
            "effective_from": _("%(class)s already has a tariff version from %(month)s.")
            % {"class": tariff_class, "month": effective_from.strftime("%m/%Y")}
        }
    )


def _fixed_charge_snapshots(fixed_charges: list[dict]) -> tuple[FixedChargeSnapshot, ...]:
    kinds, sizes = set(FixedChargeKind.values), set(MeterSize.values)
    snapshots = []
    for row in fixed_charges:
        kind, size = row["kind"], row.get("meter_size") or ""
        label = (row.get("label") or "").strip()
        if kind not in kinds:
            raise ValidationError({"fixed_charges": _("Unknown kind of charge: %(kind)s.") % {"kind": kind}})
        if size and size not in sizes:
            raise ValidationError({"fixed_charges": _("Unknown meter size: %(size)s.") % {"size": size}})
        if kind == FixedChargeKind.OTHER and not label:
            raise ValidationError({"fixed_charges": _("Give other charges a label.")})
        snapshots.append(
            FixedChargeSnapshot(
                kind=kind,
                label=label or str(FixedChargeKind(kind).label),
                amount=row["amount"],
                meter_size=size,
                tax_rate_bp=row.get("tax_rate_bp") or 0,
            )
        )
    return tuple(snapshots)


def tariff_version_create(
    *,
    actor,
    tariff_class: TariffClass,
    effective_from: datetime.date,
    minimum_usage_m3: int,
    blocks: list[tuple[int, int | None, int]],
    fixed_charges: list[dict],
    decree: str = "",
    water_tax_rate_bp: int = 0,
) -> TariffVersion:
    """Record a tariff decree for one golongan from a month on.

    `blocks` are ``(from_m3, to_m3 or None, price per m³)``, contiguous from 1 m³, the last one
    open; `fixed_charges` are dicts with ``kind``, ``amount`` and optionally ``label``,
    ``meter_size`` ("" = every size) and ``tax_rate_bp``. A version is never edited afterwards,
    and it cannot start in a month that may already be billed (before the current one).
    """
    if effective_from.day != 1:
        raise ValidationError({"effective_from": _("A tariff takes effect on the first day of a month.")})
    this_month = timezone.localdate().replace(day=1)
    if effective_from < this_month:
        raise ValidationError(
            {
                "effective_from": _(
                    "A new tariff cannot take effect before %(month)s: earlier months may be billed."
                )
                % {"month": this_month.strftime("%m/%Y")}
            }
        )
    if minimum_usage_m3 < 0:
        raise ValidationError({"minimum_usage_m3": _("The minimum usage cannot be negative.")})
    tariff = TariffSnapshot(
        blocks=tuple(BlockPrice(from_m3, to_m3, price) for from_m3, to_m3, price in blocks),
        fixed_charges=_fixed_charge_snapshots(fixed_charges),
        minimum_usage_m3=minimum_usage_m3,
        water_tax_rate_bp=water_tax_rate_bp,
    )
    validate_tariff(tariff)

    with transaction.atomic():
        # One writer per golongan at a time, so the duplicate check below holds.
        tariff_class = TariffClass.objects.select_for_update().get(pk=tariff_class.pk)
        if TariffVersion.objects.filter(tariff_class=tariff_class, effective_from=effective_from).exists():
            raise _duplicate_month_error(tariff_class, effective_from)
        version = TariffVersion(
            tariff_class=tariff_class,
            effective_from=effective_from,
            minimum_usage_m3=minimum_usage_m3,
            water_tax_rate_bp=water_tax_rate_bp,
            decree=decree.strip(),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        try:
            with transaction.atomic():
                version.save()
        except IntegrityError:
            raise _duplicate_month_error(tariff_class, effective_from) from None
        TariffBlock.objects.bulk_create(
            [
                TariffBlock(version=version, from_m3=b.from_m3, to_m3=b.to_m3, price_per_m3=b.price_per_m3)
                for b in tariff.blocks
            ]
        )
        FixedCharge.objects.bulk_create(
            [
                FixedCharge(
                    version=version,
                    kind=row["kind"],
                    label=(row.get("label") or "").strip(),
                    amount=charge.amount,
                    meter_size=charge.meter_size,
                    tax_rate_bp=charge.tax_rate_bp,
                )
                for row, charge in zip(fixed_charges, tariff.fixed_charges, strict=True)
            ]
        )
        audit_record(
            actor=actor,
            action="tariff.create",
            obj=version,
            changes={
                "tariff_class": [None, str(tariff_class)],
                "effective_from": [None, effective_from.isoformat()],
                "minimum_usage_m3": [None, minimum_usage_m3],
                "water_tax_rate_bp": [None, water_tax_rate_bp],
                "blocks": [None, [[b.from_m3, b.to_m3, b.price_per_m3] for b in tariff.blocks]],
                "fixed_charges": [
                    None,
                    [[c.kind, c.label, c.meter_size, c.amount, c.tax_rate_bp] for c in tariff.fixed_charges],
                ],
            },
            reason=decree.strip(),
        )
    return version
