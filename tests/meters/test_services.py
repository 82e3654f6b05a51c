import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from customers.models import CustomerStatus
from meters import services
from meters.models import Anomaly, Flag, Meter, Period, PeriodState, Reading, ReadingMethod, ReadingStatus
from meters.services import VerifyAction
from pdam.models import AuditEntry
from tests.conftest import PNG_1PX
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The rules' messages are compared with their English msgids (pages test Indonesian)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 3, 0, tzinfo=datetime.UTC), tick=False):
        yield


def month(m: int, year: int = 2026) -> Period:
    return services.period_get_or_open(month=datetime.date(year, m, 1))


@pytest.fixture
def metered(cs_user):
    customer = CustomerFactory(connected_on=datetime.date(2020, 1, 1))
    services.meter_install(
        actor=cs_user,
        customer=customer,
        serial_number="mtr-1",
        installed_on=datetime.date(2020, 1, 1),
        size="1/2",
        initial_stand=100,
    )
    return customer


def read(actor, customer, period, stand=None, anomaly="", **kw):
    return services.reading_record(
        actor=actor,
        customer=customer,
        period=period,
        stand=stand,
        anomaly=anomaly,
        read_on=kw.pop("read_on", period.month),
        method=ReadingMethod.FIELD,
        **kw,
    )


def test_first_reading_starts_from_the_meters_initial_stand(cs_user, metered):
    reading = read(cs_user, metered, month(6), stand=118)
    assert (reading.previous_stand, reading.usage_m3, reading.status) == (100, 18, ReadingStatus.OK)
    entry = AuditEntry.objects.get(action="reading.create")
    assert entry.actor == cs_user
    assert entry.changes["stand"] == [None, 118]


def test_estimated_months_then_actual_reading_covers_them_all(cs_user, metered):
    for m, stand in [(3, 120), (4, 140), (5, 160)]:  # 20 m3 a month
        read(cs_user, metered, month(m), stand=stand)
    june = read(cs_user, metered, month(6), anomaly=Anomaly.LOCKED)
    july = read(cs_user, metered, month(7), anomaly=Anomaly.BLURRED)
    august = read(cs_user, metered, month(8), stand=225)

    assert (june.estimated, june.usage_m3, june.stand, june.method) == (
        True,
        20,
        None,
        ReadingMethod.ESTIMATE,
    )
    assert july.usage_m3 == 20
    # 160 → 225 is 65 m3 over June, July and August: billing spreads it (the fair true-up).
    assert (august.previous_stand, august.usage_m3, august.months_covered) == (160, 65, 3)
    assert august.flags == []


def test_meter_replacement_sums_both_meters(cs_user, metered):
    read(cs_user, metered, month(9), stand=150)
    new = services.meter_replace(
        actor=cs_user,
        customer=metered,
        replaced_on=datetime.date(2026, 10, 10),
        final_stand=162,
        serial_number="mtr-2",
        size="1/2",
        initial_stand=0,
        reason="Meter rusak",
    )
    october = read(cs_user, metered, month(10), stand=9)
    assert october.meter == new
    assert (october.previous_stand, october.replaced_meter_usage_m3, october.usage_m3) == (0, 12, 21)
    old = Meter.objects.get(serial_number="MTR-1")
    assert (old.removed_on, old.final_stand) == (datetime.date(2026, 10, 10), 162)
    assert AuditEntry.objects.filter(action="meter.replace", reason="Meter rusak").exists()


def test_replacement_refuses_a_final_stand_below_the_last_reading(cs_user, metered):
    read(cs_user, metered, month(9), stand=150)
    with pytest.raises(ValidationError) as error:
        services.meter_replace(
            actor=cs_user,
            customer=metered,
            replaced_on=datetime.date(2026, 10, 10),
            final_stand=140,
            serial_number="mtr-2",
            size="1/2",
            reason="rusak",
        )
    assert "final_stand" in error.value.error_dict
    assert Meter.objects.filter(customer=metered).count() == 1


def test_lower_stand_is_refused_and_nothing_is_written(cs_user, metered):
    read(cs_user, metered, month(9), stand=150)
    with pytest.raises(ValidationError) as error:
        read(cs_user, metered, month(10), stand=149)
    assert "stand" in error.value.error_dict
    assert Reading.objects.count() == 1


def test_flagged_reading_then_confirmed_by_supervisor(cs_user, supervisor_user, metered):
    for m, stand in [(7, 120), (8, 140), (9, 160)]:
        read(cs_user, metered, month(m), stand=stand)
    october = read(cs_user, metered, month(10), stand=260)  # 100 m3 against 20 a month
    assert october.status == ReadingStatus.FLAGGED
    assert october.flags == [Flag.HIGH]

    confirmed = services.reading_verify(actor=supervisor_user, reading=october, action=VerifyAction.CONFIRM)

    assert (confirmed.status, confirmed.verified_by) == (ReadingStatus.OK, supervisor_user)
    assert AuditEntry.objects.filter(action="reading.confirm", actor=supervisor_user).exists()


def test_correction_keeps_old_and_new_value_and_reason(cs_user, supervisor_user, metered):
    read(cs_user, metered, month(9), stand=120)
    october = read(cs_user, metered, month(10), stand=1200)  # a digit too many
    corrected = services.reading_verify(
        actor=supervisor_user, reading=october, action=VerifyAction.CORRECT, stand=140, reason="Salah ketik"
    )
    assert (corrected.stand, corrected.usage_m3, corrected.status) == (140, 20, ReadingStatus.OK)
    change = AuditEntry.objects.get(action="reading.update")
    assert change.changes["stand"] == [1200, 140]
    assert change.reason == "Salah ketik"
    assert change.actor == supervisor_user


def test_send_back_for_reread_needs_a_reason(cs_user, supervisor_user, metered):
    reading = read(cs_user, metered, month(10), stand=100)  # zero usage
    with pytest.raises(ValidationError):
        services.reading_verify(actor=supervisor_user, reading=reading, action=VerifyAction.REREAD)
    back = services.reading_verify(
        actor=supervisor_user, reading=reading, action=VerifyAction.REREAD, reason="Cek ke lapangan"
    )
    assert back.status == ReadingStatus.REREAD
    again = read(cs_user, metered, month(10), stand=117)
    assert (again.status, again.usage_m3) == (ReadingStatus.OK, 17)


def test_billed_period_is_locked(cs_user, metered):
    period = month(10)
    services.period_set_state(actor=cs_user, period=period, state=PeriodState.BILLED)
    with pytest.raises(ValidationError, match="locked"):
        read(cs_user, metered, period, stand=120)
    with pytest.raises(ValidationError):
        services.period_set_state(actor=cs_user, period=period, state=PeriodState.OPEN)


def test_a_period_with_a_later_reading_cannot_change(cs_user, metered):
    read(cs_user, metered, month(9), stand=120)
    read(cs_user, metered, month(10), stand=140)
    with pytest.raises(ValidationError, match="later period"):
        read(cs_user, metered, month(9), stand=121)


@pytest.mark.parametrize("status", [CustomerStatus.DISCONNECTED, CustomerStatus.CLOSED])
def test_disconnected_and_closed_customers_are_not_read(cs_user, metered, status):
    metered.status = status
    metered.save()
    with pytest.raises(ValidationError):
        read(cs_user, metered, month(10), stand=120)


def test_customer_without_meter_is_refused(cs_user):
    with pytest.raises(ValidationError, match="no meter"):
        read(cs_user, CustomerFactory(), month(10), stand=1)


@pytest.mark.parametrize(
    "read_on",
    [datetime.date(2026, 11, 26), datetime.date(2026, 8, 31), datetime.date(2026, 11, 1)],
)
def test_reading_date_must_be_in_the_window_and_not_in_the_future(cs_user, metered, read_on):
    with pytest.raises(ValidationError) as error:
        read(cs_user, metered, month(10), stand=120, read_on=read_on)
    assert "read_on" in error.value.error_dict


def test_reread_of_a_row_is_audited_with_old_and_new(cs_user, metered):
    read(cs_user, metered, month(10), stand=120)
    read(cs_user, metered, month(10), stand=121)
    change = AuditEntry.objects.get(action="reading.update")
    assert change.changes["stand"] == [120, 121]
    assert change.changes["usage_m3"] == [20, 21]


def test_photo_is_stored_and_a_non_image_refused(cs_user, metered, media_root):
    photo = SimpleUploadedFile("m.png", PNG_1PX, content_type="image/png")
    reading = read(cs_user, metered, month(10), stand=120, photo=photo)
    assert reading.photo.name.startswith("readings/")
    fake = SimpleUploadedFile("m.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    with pytest.raises(ValidationError) as error:
        read(cs_user, metered, month(10), stand=121, photo=fake)
    assert "photo" in error.value.error_dict
    assert Reading.objects.get().stand == 120


def test_held_absurd_stands_do_not_raise_the_next_estimates(cs_user, metered):
    """Issue 11 §1: 20 m³ a month, then an absurd 1 000 m³ stand held for verification; the
    next month's estimate stays at 20 m³, not the 347 m³ the held stand would make."""
    for m, stand in [(7, 120), (8, 140), (9, 160)]:
        read(cs_user, metered, month(m), stand=stand)
    october = read(cs_user, metered, month(10), stand=1160)
    assert october.status == ReadingStatus.FLAGGED

    november = read(cs_user, metered, month(11), anomaly=Anomaly.LOCKED)

    assert (november.estimated, november.usage_m3) == (True, 20)


def test_bill_run_estimates_ignore_readings_sent_back_for_reread(cs_user, supervisor_user, metered):
    for m, stand in [(7, 120), (8, 140), (9, 160)]:
        read(cs_user, metered, month(m), stand=stand)
    october = read(cs_user, metered, month(10), stand=1160)
    services.reading_verify(
        actor=supervisor_user, reading=october, action=VerifyAction.REREAD, reason="Angka tidak masuk akal"
    )

    estimates = services.readings_estimate_missing(period=month(11), customer_ids=[metered.pk])

    assert estimates[metered.pk].usage_m3 == 20
