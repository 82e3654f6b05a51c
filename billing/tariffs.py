"""What a month's water costs: the one charge computation, pure (no database, no clock).

Everything works on a `TariffSnapshot`, a frozen copy of a tariff version (build it with
`billing.selectors.tariff_snapshot`). Amounts are exact integer Rupiah: usage and prices are
whole numbers, so every line is quantity × unit price, and tax is rounded half up per line.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

BASIS_POINTS = 10_000

ChargeKind = Literal["water_block", "minimum_topup", "fixed", "adjustment", "to_credit", "catch_up"]

# Fixed-charge kinds (`FixedChargeKind` values) that may apply only once to a meter.
ONCE_PER_METER = frozenset({"administration", "meter_maintenance"})


@dataclass(frozen=True)
class BlockPrice:
    from_m3: int
    to_m3: int | None  # inclusive; None = no upper limit
    price_per_m3: int


@dataclass(frozen=True)
class FixedChargeSnapshot:
    kind: str
    label: str
    amount: int
    meter_size: str = ""  # "" = every meter size
    tax_rate_bp: int = 0


@dataclass(frozen=True)
class TariffSnapshot:
    blocks: tuple[BlockPrice, ...]
    fixed_charges: tuple[FixedChargeSnapshot, ...] = ()
    minimum_usage_m3: int = 0
    water_tax_rate_bp: int = 0
    version_id: int | None = None


@dataclass(frozen=True)
class ChargeLine:
    kind: ChargeKind
    description: str
    quantity_m3: int | None
    unit_price: int
    amount: int
    tax_rate_bp: int
    tax_amount: int

    @property
    def total(self) -> int:
        return self.amount + self.tax_amount


def tax_amount(amount: int, rate_bp: int) -> int:
    """``amount × rate_bp / 10 000`` rounded half up, in integers (a negative amount mirrors it)."""
    sign = -1 if amount < 0 else 1
    return sign * ((abs(amount) * rate_bp + BASIS_POINTS // 2) // BASIS_POINTS)


def _block_description(block: BlockPrice) -> str:
    if block.to_m3 is None:
        if block.from_m3 == 1:
            return _("Water")
        return _("Water above %(m3)s m³") % {"m3": block.from_m3 - 1}
    return _("Water %(from)s–%(to)s m³") % {"from": block.from_m3, "to": block.to_m3}


def _split(blocks: Sequence[BlockPrice], after_m3: int, up_to_m3: int) -> list[tuple[BlockPrice, int]]:
    """How many of the m³ numbered ``after_m3 + 1 … up_to_m3`` fall in each block."""
    parts = []
    for block in blocks:
        low = max(block.from_m3, after_m3 + 1)
        high = up_to_m3 if block.to_m3 is None else min(block.to_m3, up_to_m3)
        if high >= low:
            parts.append((block, high - low + 1))
    return parts


def _line(
    kind: ChargeKind, description: str, quantity_m3: int | None, unit_price: int, rate_bp: int
) -> ChargeLine:
    amount = unit_price if quantity_m3 is None else quantity_m3 * unit_price
    return ChargeLine(
        kind=kind,
        description=description,
        quantity_m3=quantity_m3,
        unit_price=unit_price,
        amount=amount,
        tax_rate_bp=rate_bp,
        tax_amount=tax_amount(amount, rate_bp),
    )


def compute_charges(tariff: TariffSnapshot, *, usage_m3: int, meter_size: str) -> list[ChargeLine]:
    """The lines of one month's bill for `usage_m3` on a meter of `meter_size`.

    Water is priced progressively on the actual usage, one line per block used. Below the minimum,
    the missing m³ are a top-up priced at the blocks they would fall into (one line per block, so
    every line stays quantity × unit price); water then costs what the minimum would. Last, the
    fixed charges for every meter size and for this one.
    """
    if isinstance(usage_m3, bool) or not isinstance(usage_m3, int) or usage_m3 < 0:
        raise ValueError(f"usage_m3 must be a whole number ≥ 0, got {usage_m3!r}")
    rate = tariff.water_tax_rate_bp
    lines = [
        _line("water_block", _block_description(block), m3, block.price_per_m3, rate)
        for block, m3 in _split(tariff.blocks, 0, usage_m3)
    ]
    if usage_m3 < tariff.minimum_usage_m3:
        description = _("Minimum usage top-up to %(minimum)s m³") % {"minimum": tariff.minimum_usage_m3}
        lines += [
            _line("minimum_topup", description, m3, block.price_per_m3, rate)
            for block, m3 in _split(tariff.blocks, usage_m3, tariff.minimum_usage_m3)
        ]
    lines += [
        _line("fixed", charge.label, None, charge.amount, charge.tax_rate_bp)
        for charge in tariff.fixed_charges
        if charge.meter_size in ("", meter_size)
    ]
    return lines


def charges_total(lines: Sequence[ChargeLine]) -> int:
    """What the lines cost together: amounts plus taxes."""
    return sum(line.amount + line.tax_amount for line in lines)


def lines_finalized(lines: Sequence[ChargeLine]) -> tuple[list[ChargeLine], int]:
    """The one place of the rule "an invoice is never below zero".

    Where the lines (a true-up crediting more than the month's charges) sum below zero, a
    labelled line carries the excess to the customer's credit balance, so the lines still sum
    to the total (0). Returns the lines and the Rupiah carried to credit (0 if none); whoever
    writes the invoice hands that amount to `billing.extensions.credit_carried`.
    """
    total = charges_total(lines)
    if total >= 0:
        return list(lines), 0
    carried = -total
    line = ChargeLine(
        kind="to_credit",
        description=str(_("True-up excess carried to the credit balance")),
        quantity_m3=None,
        unit_price=carried,
        amount=carried,
        tax_rate_bp=0,
        tax_amount=0,
    )
    return [*lines, line], carried


def block_problems(blocks: Sequence[BlockPrice]) -> list[str]:
    """Why these blocks cannot price every usage, or [] when they can.

    The blocks must start at 1 m³, follow one another without gap or overlap, each end at or
    after it starts, and only the last may (and must) be open-ended; every price is above 0.
    """
    if not blocks:
        return [_("A tariff needs at least one block.")]
    problems = []
    if blocks[0].from_m3 != 1:
        problems.append(_("The first block starts at 1 m³."))
    for number, block in enumerate(blocks, start=1):
        last = number == len(blocks)
        if block.price_per_m3 <= 0:
            problems.append(_("Block %(n)s: the price must be above 0.") % {"n": number})
        if block.to_m3 is None:
            if not last:
                problems.append(
                    _("Block %(n)s: only the last block may have no upper limit.") % {"n": number}
                )
            continue
        if last:
            problems.append(_("The last block must have no upper limit."))
        if block.to_m3 < block.from_m3:
            problems.append(
                _("Block %(n)s: the upper limit must be at least %(from)s m³.")
                % {"n": number, "from": block.from_m3}
            )
        elif not last and blocks[number].from_m3 != block.to_m3 + 1:
            problems.append(
                _("Block %(n)s must start at %(m3)s m³, right after block %(prev)s.")
                % {"n": number + 1, "m3": block.to_m3 + 1, "prev": number}
            )
    return problems


def fixed_charge_problems(charges: Sequence[FixedChargeSnapshot]) -> list[str]:
    """Why these fixed charges are unusable, or [] when they are fine.

    Every amount is above 0 and every rate within 0–100 %. Administration and meter maintenance
    may apply at most once to any meter size: not twice for one size, and not for every size and
    also for one size.
    """
    problems = []
    for charge in charges:
        if charge.amount <= 0:
            problems.append(_("%(label)s: the amount must be above 0.") % {"label": charge.label})
        if not 0 <= charge.tax_rate_bp <= BASIS_POINTS:
            problems.append(
                _("%(label)s: the tax rate is 0 to 10000 basis points.") % {"label": charge.label}
            )
    for kind in sorted(ONCE_PER_METER):
        sizes = [c.meter_size for c in charges if c.kind == kind]
        if len(sizes) != len(set(sizes)) or ("" in sizes and len(sizes) > 1):
            label = next(c.label for c in charges if c.kind == kind)
            problems.append(
                _("%(label)s would be charged twice on one meter size: set it for all sizes or per size.")
                % {"label": label}
            )
    return problems


def validate_tariff(tariff: TariffSnapshot) -> None:
    """Raise ValidationError (keyed ``blocks``, ``fixed_charges``…) unless the tariff is usable."""
    errors = {}
    if not 0 <= tariff.water_tax_rate_bp <= BASIS_POINTS:
        errors["water_tax_rate_bp"] = [_("The tax rate is 0 to 10000 basis points.")]
    if problems := block_problems(tariff.blocks):
        errors["blocks"] = problems
    if problems := fixed_charge_problems(tariff.fixed_charges):
        errors["fixed_charges"] = problems
    if errors:
        raise ValidationError(errors)
