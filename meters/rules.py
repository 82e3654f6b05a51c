"""The reading rules as pure functions: from a stand (or an anomaly) to usage, flags and status.

No database here: `meters.services` gathers the facts (last stand, history, replaced meters)
and stores what `evaluate_reading` decides, so every rule is a worked example in the tests.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from meters.models import Anomaly, Flag, ReadingStatus


@dataclass(frozen=True)
class AnomalyRule:
    usable_stand: bool  # a stand read with this anomaly can be billed
    needs_check: bool  # a person must look before it is billed


ANOMALY_RULES: dict[str, AnomalyRule] = {
    Anomaly.BLURRED: AnomalyRule(usable_stand=False, needs_check=False),
    Anomaly.BROKEN: AnomalyRule(usable_stand=False, needs_check=False),
    Anomaly.NO_METER: AnomalyRule(usable_stand=False, needs_check=False),
    Anomaly.HOUSE_EMPTY: AnomalyRule(usable_stand=False, needs_check=False),
    Anomaly.LOCKED: AnomalyRule(usable_stand=False, needs_check=False),
    Anomaly.BURIED: AnomalyRule(usable_stand=False, needs_check=False),
    Anomaly.FLOODED: AnomalyRule(usable_stand=False, needs_check=False),
    Anomaly.BLOCKED: AnomalyRule(usable_stand=False, needs_check=False),
    Anomaly.ADDRESS_NOT_FOUND: AnomalyRule(usable_stand=False, needs_check=False),
    # A reversed meter runs backwards: its stand means nothing; estimate, and send someone.
    Anomaly.REVERSED: AnomalyRule(usable_stand=False, needs_check=True),
    # Tampering and a broken seal: the stand is read, but a person decides before billing.
    Anomaly.TAMPERED: AnomalyRule(usable_stand=True, needs_check=True),
    Anomaly.SEAL_BROKEN: AnomalyRule(usable_stand=True, needs_check=True),
}


@dataclass(frozen=True)
class Thresholds:
    """Usage this far from the recent average is held for verification (configurable)."""

    high_factor: float = 2.0
    low_factor: float = 0.5
    history_months: int = 3
    # With no history at all the estimate falls back to the usual minimum billed usage.
    fallback_estimate_m3: int = 10


@dataclass(frozen=True)
class ReadingFacts:
    """What is known before the reading is entered."""

    previous_stand: int  # the last actual stand on the current meter (or its initial stand)
    max_stand: int  # 99…9 for the meter's digits
    months_covered: int = 1  # months since the last actual reading (1 + estimated months)
    replaced_meter_usage_m3: int = 0  # usage on a meter removed since the last actual reading
    history_m3: tuple[int, ...] = ()  # monthly usage of the last actual readings, newest first


@dataclass(frozen=True)
class Evaluation:
    usage_m3: int
    stand: int | None
    estimated: bool = False
    rollover: bool = False
    flags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        return ReadingStatus.FLAGGED if self.flags else ReadingStatus.OK


class StandRefused(ValueError):
    """The stand cannot be right (lower than the last one, or beyond the meter's register)."""


def average_usage(history_m3: tuple[int, ...], thresholds: Thresholds) -> float | None:
    recent = history_m3[: thresholds.history_months]
    return sum(recent) / len(recent) if recent else None


def estimate_usage(history_m3: tuple[int, ...], thresholds: Thresholds) -> int:
    """Average of the last three actual monthly usages, or the fallback with no history."""
    average = average_usage(history_m3, thresholds)
    if average is None:
        return thresholds.fallback_estimate_m3
    return int(average + 0.5)  # round half up, whole m3


def evaluate_reading(
    *, facts: ReadingFacts, stand: int | None, anomaly: str = "", thresholds: Thresholds | None = None
) -> Evaluation:
    thresholds = thresholds or Thresholds()
    rule = ANOMALY_RULES.get(anomaly) if anomaly else None
    if anomaly and rule is None:
        raise StandRefused(_("Unknown anomaly code %(code)s.") % {"code": anomaly})

    if stand is None or (rule and not rule.usable_stand):
        if rule is None:
            raise StandRefused(_("Type the stand, or pick an anomaly code."))
        # No usable stand: one month's estimate, on top of what a replaced meter measured.
        usage = estimate_usage(facts.history_m3, thresholds) + facts.replaced_meter_usage_m3
        flags = (Flag.ANOMALY,) if rule.needs_check else ()
        return Evaluation(usage_m3=usage, stand=None, estimated=True, flags=flags)

    if stand < 0:
        raise StandRefused(_("A stand cannot be negative."))
    if stand > facts.max_stand:
        raise StandRefused(
            _("The stand %(stand)s is beyond this meter's register (at most %(max)s).")
            % {"stand": stand, "max": facts.max_stand}
        )
    rollover = False
    if stand >= facts.previous_stand:
        measured = stand - facts.previous_stand
    else:
        wrapped = facts.max_stand + 1 - facts.previous_stand + stand
        # A wrap past 99…9 is believable only when the meter was near its end and the usage
        # stays small against the register; otherwise it is a typing error.
        if wrapped > (facts.max_stand + 1) // 10:
            raise StandRefused(
                _(
                    "The stand %(stand)s is lower than the last stand %(previous)s. If the meter was "
                    "replaced, record the replacement first."
                )
                % {"stand": stand, "previous": facts.previous_stand}
            )
        measured, rollover = wrapped, True
    usage = measured + facts.replaced_meter_usage_m3

    flags: list[str] = []
    if rule and rule.needs_check:
        flags.append(Flag.ANOMALY)
    monthly = usage / facts.months_covered
    average = average_usage(facts.history_m3, thresholds)
    if usage == 0:
        flags.append(Flag.ZERO)
    elif average is not None and average > 0:
        if monthly > thresholds.high_factor * average:
            flags.append(Flag.HIGH)
        elif monthly < thresholds.low_factor * average:
            flags.append(Flag.LOW)
    return Evaluation(usage_m3=usage, stand=stand, rollover=rollover, flags=tuple(flags))
