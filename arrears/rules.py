"""The late-fee arithmetic, free of the database: which rule applies, and which steps of denda an
invoice has earned on a date. The nightly run and the at-once figure both use these functions,
so the cashier, the bill check and online Pay show what the nightly job charges."""

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from arrears.models import LateFeeRule, LateFeeShape


@dataclass(frozen=True)
class RuleSnapshot:
    """The part of a `LateFeeRule` the arithmetic needs (kept with every fee it charges)."""

    rule_id: int
    shape: str
    start_days_after_due: int
    amount: int = 0
    step_totals: tuple[int, ...] = ()
    percent_bp: int = 0

    @classmethod
    def of(cls, rule: LateFeeRule) -> "RuleSnapshot":
        return cls(
            rule_id=rule.pk,
            shape=rule.shape,
            start_days_after_due=rule.start_days_after_due,
            amount=rule.amount,
            step_totals=tuple(int(total) for total in rule.step_totals or ()),
            percent_bp=rule.percent_bp,
        )

    def as_json(self) -> dict:
        return {
            "shape": self.shape,
            "start_days_after_due": self.start_days_after_due,
            "amount": self.amount,
            "step_totals": list(self.step_totals),
            "percent_bp": self.percent_bp,
        }


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole calendar months, kept within the month (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def start_date(due_date: datetime.date, rule: RuleSnapshot) -> datetime.date:
    """The first day of denda (month 1 late)."""
    return due_date + datetime.timedelta(days=rule.start_days_after_due)


def months_late(due_date: datetime.date, rule: RuleSnapshot, on: datetime.date) -> int:
    """0 before the start day; 1 from it; k from k-1 calendar months after it."""
    start = start_date(due_date, rule)
    if on < start:
        return 0
    months = (on.year - start.year) * 12 + on.month - start.month
    if add_months(start, months) > on:
        months -= 1
    return months + 1


def steps_due(
    *, rule: RuleSnapshot, principal: int, due_date: datetime.date, on: datetime.date
) -> list[tuple[int, int]]:
    """``[(step, amount)]`` of denda an invoice of `principal` due on `due_date` has earned by
    `on`; steps of Rp 0 are left out. Their sum is the invoice's denda on that day."""
    late = months_late(due_date, rule, on)
    if late == 0:
        return []
    if rule.shape == LateFeeShape.FLAT:
        steps = [(1, rule.amount)]
    elif rule.shape == LateFeeShape.PERCENT:
        steps = [(1, principal * rule.percent_bp // 10_000)]
    else:
        totals = rule.step_totals[:late]
        steps = [(k, total - (totals[k - 2] if k > 1 else 0)) for k, total in enumerate(totals, start=1)]
    return [(step, amount) for step, amount in steps if amount > 0]


def rule_for(
    rules: Iterable[LateFeeRule], *, tariff_class_id: int, kelompok: str, due_date: datetime.date
) -> LateFeeRule | None:
    """The rule in force on `due_date` for an invoice of that golongan: the newest version of the
    golongan's own rule, else of its kelompok's, else of the rule for every customer."""
    best: dict[int, LateFeeRule] = {}
    for rule in rules:
        if rule.effective_from > due_date:
            continue
        if rule.tariff_class_id is not None:
            rank = 0 if rule.tariff_class_id == tariff_class_id else None
        elif rule.kelompok:
            rank = 1 if rule.kelompok == kelompok else None
        else:
            rank = 2
        if rank is None:
            continue
        if rank not in best or best[rank].effective_from < rule.effective_from:
            best[rank] = rule
    return best[min(best)] if best else None
