"""Worked examples for every reading rule (DESIGN.md §3 "Meter readings", "Estimates")."""

import pytest
from django.utils import translation

from meters.models import Anomaly, Flag, ReadingStatus
from meters.rules import (
    ANOMALY_RULES,
    ReadingFacts,
    StandRefused,
    Thresholds,
    estimate_usage,
    evaluate_reading,
)

FIVE_DIGITS = 99_999
HISTORY = (20, 22, 18)  # last three actual months: average 20 m3


@pytest.fixture(autouse=True)
def _english():
    """The rules' messages are compared with their English msgids (pages test Indonesian)."""
    with translation.override("en"):
        yield


def facts(**overrides) -> ReadingFacts:
    return ReadingFacts(
        **{"previous_stand": 1000, "max_stand": FIVE_DIGITS, "history_m3": HISTORY, **overrides}
    )


def test_normal_reading():
    result = evaluate_reading(facts=facts(), stand=1021)
    assert (result.usage_m3, result.stand, result.estimated, result.rollover) == (21, 1021, False, False)
    assert result.flags == ()
    assert result.status == ReadingStatus.OK


def test_stand_below_last_is_refused():
    with pytest.raises(StandRefused, match="lower than the last stand"):
        evaluate_reading(facts=facts(), stand=999)


def test_rollover_at_the_meters_maximum():
    # 99.990 → 00.015 on a 5-digit meter: 9 m3 to reach 99.999, 1 to wrap to 0, then 15.
    result = evaluate_reading(facts=facts(previous_stand=99_990), stand=15)
    assert (result.usage_m3, result.rollover) == (25, True)
    assert result.status == ReadingStatus.OK


def test_rollover_exactly_at_zero():
    result = evaluate_reading(facts=facts(previous_stand=99_999, history_m3=()), stand=0)
    assert (result.usage_m3, result.rollover) == (1, True)


def test_implausible_wrap_is_refused():
    # 50.000 → 10: a wrap would mean 50.010 m3 in a month; it is a typing error.
    with pytest.raises(StandRefused):
        evaluate_reading(facts=facts(previous_stand=50_000), stand=10)


def test_stand_beyond_the_register_is_refused():
    with pytest.raises(StandRefused, match="beyond"):
        evaluate_reading(facts=facts(), stand=100_000)


def test_replacement_usage_is_the_sum_over_both_meters():
    # Old meter went from 1.000 to 1.012 before removal (12 m3); the new one from 0 to 9.
    result = evaluate_reading(facts=facts(previous_stand=0, replaced_meter_usage_m3=12), stand=9)
    assert result.usage_m3 == 21
    assert result.flags == ()


def test_zero_usage_is_held():
    result = evaluate_reading(facts=facts(), stand=1000)
    assert result.usage_m3 == 0
    assert result.flags == (Flag.ZERO,)
    assert result.status == ReadingStatus.FLAGGED


def test_zero_usage_is_held_even_without_history():
    assert evaluate_reading(facts=facts(history_m3=()), stand=1000).flags == (Flag.ZERO,)


@pytest.mark.parametrize(
    ("stand", "flags"),
    [
        (1040, ()),  # 40 = 2.0 × 20: not above
        (1041, (Flag.HIGH,)),  # 41 > 2 × 20
        (1010, ()),  # 10 = 0.5 × 20: not below
        (1009, (Flag.LOW,)),  # 9 < 0.5 × 20
    ],
)
def test_abnormal_high_and_low_against_the_last_three_actual_months(stand, flags):
    assert evaluate_reading(facts=facts(), stand=stand).flags == flags


def test_thresholds_are_configurable():
    strict = Thresholds(high_factor=1.5, low_factor=0.8)
    assert evaluate_reading(facts=facts(), stand=1031, thresholds=strict).flags == (Flag.HIGH,)
    assert evaluate_reading(facts=facts(), stand=1015, thresholds=strict).flags == (Flag.LOW,)


def test_usage_after_estimated_months_is_judged_per_month():
    # Two estimated months, then an actual reading: 60 m3 over 3 months is 20 a month, normal.
    result = evaluate_reading(facts=facts(months_covered=3), stand=1060)
    assert result.usage_m3 == 60
    assert result.flags == ()


@pytest.mark.parametrize("anomaly", [code for code, rule in ANOMALY_RULES.items() if not rule.usable_stand])
def test_anomalies_without_usable_stand_give_an_estimate(anomaly):
    result = evaluate_reading(facts=facts(), stand=None, anomaly=anomaly)
    assert (result.usage_m3, result.stand, result.estimated) == (20, None, True)
    expected = (Flag.ANOMALY,) if anomaly == Anomaly.REVERSED else ()
    assert result.flags == expected


def test_a_stand_typed_with_an_unusable_anomaly_is_ignored():
    result = evaluate_reading(facts=facts(), stand=5, anomaly=Anomaly.BLURRED)
    assert (result.estimated, result.stand, result.usage_m3) == (True, None, 20)


@pytest.mark.parametrize("anomaly", [Anomaly.TAMPERED, Anomaly.SEAL_BROKEN])
def test_tampering_keeps_the_stand_and_is_held(anomaly):
    result = evaluate_reading(facts=facts(), stand=1019, anomaly=anomaly)
    assert (result.usage_m3, result.estimated) == (19, False)
    assert result.flags == (Flag.ANOMALY,)


def test_every_anomaly_code_has_a_rule():
    assert set(ANOMALY_RULES) == set(Anomaly.values)


@pytest.mark.parametrize(
    ("history", "estimate"),
    [
        ((), 10),  # no history: the minimum billed usage
        ((17,), 17),  # one month
        ((20, 21), 21),  # 20.5 rounds half up
        ((20, 22, 18), 20),  # three months
        ((30, 30, 30, 90), 30),  # only the last three count
    ],
)
def test_estimate_with_0_1_3_months_of_history(history, estimate):
    assert estimate_usage(history, Thresholds()) == estimate


def test_estimate_carries_a_replaced_meters_usage():
    result = evaluate_reading(facts=facts(replaced_meter_usage_m3=7), stand=None, anomaly=Anomaly.LOCKED)
    assert result.usage_m3 == 27


def test_no_stand_and_no_anomaly_is_refused():
    with pytest.raises(StandRefused):
        evaluate_reading(facts=facts(), stand=None)


def test_unknown_anomaly_is_refused():
    with pytest.raises(StandRefused):
        evaluate_reading(facts=facts(), stand=1010, anomaly="aliens")
