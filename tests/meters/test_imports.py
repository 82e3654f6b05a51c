"""Reading import: every hostile file, the database after it, and parity with hand entry."""

import csv
import datetime
import io

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import translation

from customers.models import Customer, CustomerStatus
from meters import imports, services
from meters.imports import reading_import_create, reading_import_run
from meters.models import (
    Anomaly,
    Flag,
    Meter,
    Period,
    PeriodState,
    Reading,
    ReadingImport,
    ReadingMethod,
    ReadingStatus,
)
from meters.tasks import reading_import_run as reading_import_task
from pdam.models import AuditEntry
from tests.customers.factories import CustomerFactory
from tests.meters.factories import MeterFactory, PeriodFactory

pytestmark = pytest.mark.django_db

HEADER = ["customer_number", "period", "stand", "read_date", "anomaly_code", "reader"]
JUNE = datetime.date(2026, 6, 1)
# "Srí" saved by a spreadsheet in Windows-1252: not UTF-8.
LATIN_1 = ",".join(HEADER).encode() + b"\r\n0100000001,2026-06,15,2026-06-10,,Sr\xed\r\n"


@pytest.fixture(autouse=True)
def _today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # 15 June 2026, 11:00 in Makassar.
    with time_machine.travel(datetime.datetime(2026, 6, 15, 3, 0, tzinfo=datetime.UTC), tick=False):
        yield


def period(m: int, year: int = 2026) -> Period:
    return services.period_get_or_open(month=datetime.date(year, m, 1))


def metered(number: str, *, initial_stand: int = 1000, **customer) -> object:
    customer = CustomerFactory(number=number, connected_on=datetime.date(2020, 1, 1), **customer)
    MeterFactory(customer=customer, serial_number=f"M-{number}", initial_stand=initial_stand)
    return customer


def read(actor, customer, p: Period, stand=None, anomaly="", read_on=None):
    return services.reading_record(
        actor=actor,
        customer=customer,
        period=p,
        stand=stand,
        anomaly=anomaly,
        read_on=read_on or p.month + datetime.timedelta(days=4),
        method=ReadingMethod.FIELD,
    )


def with_history(actor, number: str, monthly: tuple[int, ...] = (20, 20, 20), **kw):
    """A customer with a meter and actual readings for March, April and May 2026."""
    customer = metered(number, **kw)
    stand = Meter.objects.get(customer=customer).initial_stand
    for m, usage in zip((3, 4, 5), monthly, strict=True):
        stand += usage
        read(actor, customer, period(m), stand=stand)
    return customer


def csv_bytes(rows, *, delimiter=",", header=HEADER, bom=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode()


def upload(data: bytes, name: str = "bacaan.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def run(actor, data: bytes) -> ReadingImport:
    created = reading_import_create(actor=actor, upload=upload(data), queue=False)
    return reading_import_run(import_id=created.pk)


def counts(result: ReadingImport) -> tuple[int, int, int, int, int]:
    return (
        result.total_rows,
        result.processed_rows,
        result.saved_rows,
        result.unchanged_rows,
        result.error_rows,
    )


def reasons(result: ReadingImport) -> dict[int, str]:
    return {e["line"]: e["reason"] for e in result.errors}


# --- a file full of trouble -----------------------------------------------------------------


def test_hostile_rows_are_refused_one_by_one_and_the_good_ones_saved(cs_user, settings):
    settings.LANGUAGE_CODE = "en"
    ok = with_history(cs_user, "0100000001")  # last stand 1060, 20 m3 a month
    locked = with_history(cs_user, "0100000002")
    for number in ["0100000003", "0100000004", "0100000005", "0100000006", "0100000007"]:
        with_history(cs_user, number)
    cut = with_history(cs_user, "0100000008")
    cut.status = CustomerStatus.DISCONNECTED
    cut.save()
    CustomerFactory(number="0100000009")  # no meter
    ahead = with_history(cs_user, "0100000010")
    read(cs_user, ahead, period(7), stand=1080, read_on=datetime.date(2026, 6, 14))
    with_history(cs_user, "0100000011")
    PeriodFactory(month=datetime.date(2026, 4, 1))  # exists already, billed below
    Period.objects.filter(month=datetime.date(2026, 4, 1)).update(state=PeriodState.BILLED)
    before = Reading.objects.count()

    rows = [
        ["0100000001", "2026-06", "1081", "2026-06-10", "", "Amir"],  # 2: saved, 21 m3
        ["0100000002", "2026-06", "", "2026-06-10", "locked", "Amir"],  # 3: estimate
        ["0100000003", "2026-06", "12a", "2026-06-10", "", ""],  # 4: not a number
        ["0100000004", "2026-06", "-5", "2026-06-10", "", ""],  # 5: negative
        ["0100000005", "2026-06", "99999999999", "2026-06-10", "", ""],  # 6: beyond the register
        ["0199999999", "2026-06", "10", "2026-06-10", "", ""],  # 7: unknown customer
        ["0100000001", "2026-06", "1081", "2026-06-10", "", "Amir"],  # 8: duplicate of line 2
        ["0100000006", "2026-06", "1080", "2026-06-16", "", ""],  # 9: tomorrow
        ["0100000007", "2026-06", "1050", "2026-06-10", "", ""],  # 10: lower than the last stand
        ["0100000008", "2026-06", "1080", "2026-06-10", "", ""],  # 11: disconnected
        ["0100000009", "2026-06", "10", "2026-06-10", "", ""],  # 12: no meter
        ["0100000010", "2026-06", "1070", "2026-06-10", "", ""],  # 13: July already read
        ["0100000011", "2026-04", "1070", "2026-04-10", "", ""],  # 14: April billed (and read)
        ["0100000011", "2026-06", "1080", "2026-03-10", "", ""],  # 15: date outside the window
        ["0100000021", "2026-6", "1080", "2026-06-10", "", ""],  # 16: bad period
        ["0100000022", "2026-06", "1080", "10/06/2026", "", ""],  # 17: bad date
        ["0100000023", "2026-06", "1080", "2026-06-10", "smoke", ""],  # 18: unknown anomaly
        ["0100000024", "2026-06", "", "2026-06-10", "", ""],  # 19: neither stand nor anomaly
        ["0100000025", "2026-06", "1080"],  # 20: short line
        ["", "", "", "", "", ""],  # 21: blank, skipped
        ["", "2026-06", "5", "2026-06-10", "", ""],  # 22: no customer number
    ]
    result = run(cs_user, csv_bytes(rows))

    assert result.status == ReadingImport.Status.DONE
    assert counts(result) == (20, 20, 2, 0, 18)
    got = reasons(result)
    assert set(got) == set(range(4, 21)) - {21} | {22}
    assert got[4] == "The stand 12a is not a whole number (digits only)."
    assert got[5] == "A stand cannot be negative."
    assert got[6] == "The stand 99999999999 is beyond this meter's register (at most 99999)."
    assert got[7] == "Unknown customer number 0199999999."
    assert got[8] == "Line 2 already has a reading of this customer for this period."
    assert got[9] == "The reading date cannot be in the future."
    assert got[10].startswith("The stand 1050 is lower than the last stand 1060.")
    assert got[11] == "Customer 0100000008 is disconnected; their meter is not read."
    assert got[12] == "Customer 0100000009 has no meter installed."
    assert got[13] == "A later period already has a reading; this one can no longer change."
    assert got[14] == (
        "Customer 0100000011 already has a reading for 2026-04; correct it in the verification queue "
        "or on the customer page."
    )
    assert got[15] == "A reading for 2026-06 must be dated in that month or the month before."
    assert got[16] == "The period 2026-6 is not a month written as YYYY-MM."
    assert got[17] == "The reading date 10/06/2026 is not a date written as YYYY-MM-DD."
    assert got[18].startswith("Unknown anomaly code smoke; use one of blurred, broken,")
    assert got[19] == "Type the stand, or pick an anomaly code."
    assert got[20] == "The line has 3 fields; the header has 6."
    assert got[22] == "The customer number is missing."

    assert Reading.objects.count() == before + 2
    saved = Reading.objects.get(customer=ok, period__month=JUNE)
    assert (saved.stand, saved.previous_stand, saved.usage_m3, saved.method, saved.status) == (
        1081,
        1060,
        21,
        ReadingMethod.IMPORT,
        ReadingStatus.OK,
    )
    assert (saved.entered_by, saved.reader, saved.read_on) == (cs_user, "Amir", datetime.date(2026, 6, 10))
    estimate = Reading.objects.get(customer=locked, period__month=JUNE)
    assert (estimate.stand, estimate.usage_m3, estimate.estimated, estimate.method) == (
        None,
        20,
        True,
        ReadingMethod.ESTIMATE,
    )
    # One audit row for the import, none per reading.
    entries = AuditEntry.objects.filter(action__startswith="reading.import")
    assert [(e.actor, e.changes["saved_rows"], e.changes["error_rows"]) for e in entries] == [
        (cs_user, [None, 2], [None, 18])
    ]
    assert not AuditEntry.objects.filter(action="reading.create", object_id=str(saved.pk)).exists()


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (PeriodState.BILLED, "Period 2026-05 is billed; its readings are locked."),
        (PeriodState.BILLING, "The bill run for 2026-05 has started"),
    ],
)
def test_a_period_being_billed_or_billed_refuses_new_readings(cs_user, settings, state, reason):
    settings.LANGUAGE_CODE = "en"
    customer = with_history(cs_user, "0100000001")
    Period.objects.filter(month=datetime.date(2026, 5, 1)).update(state=state)
    other = metered("0100000002")
    result = run(cs_user, csv_bytes([["0100000002", "2026-05", "1010", "2026-05-10", "", ""]]))
    assert counts(result) == (1, 1, 0, 0, 1)
    assert result.errors[0]["reason"].startswith(reason)
    assert not Reading.objects.filter(customer=other).exists()
    assert Reading.objects.filter(customer=customer).count() == 3


def test_period_not_yet_used_is_opened(cs_user):
    metered("0100000001", initial_stand=0)
    assert not Period.objects.filter(month=JUNE).exists()
    result = run(cs_user, csv_bytes([["0100000001", "2026-06", "15", "2026-06-10", "", ""]]))
    assert result.saved_rows == 1
    assert Period.objects.get(month=JUNE).state == PeriodState.OPEN


def test_rows_for_a_month_that_fail_early_do_not_open_it(cs_user):
    metered("0100000001")
    result = run(cs_user, csv_bytes([["0100000001", "2027-01", "15", "2026-12-10", "", ""]]))
    assert result.error_rows == 1
    assert not Period.objects.filter(month=datetime.date(2027, 1, 1)).exists()


def test_leading_zero_dropped_by_a_spreadsheet_gets_a_hint(cs_user, settings):
    settings.LANGUAGE_CODE = "en"
    metered("0100000001")
    result = run(cs_user, csv_bytes([["100000001", "2026-06", "1015", "2026-06-10", "", ""]]))
    assert "Did a spreadsheet drop the leading zero of 0100000001?" in result.errors[0]["reason"]


def test_semicolons_bom_and_loose_header_are_read(cs_user):
    metered("0100000001", initial_stand=0)
    metered("0100000002", initial_stand=0)
    header = ["Customer_Number", " period", "stand", "read_date", "anomaly_code", "Reader "]
    rows = [
        ["0100000001", "2026-06", "15", "2026-06-10", "", "Amir"],
        ["0100000002", "2026-06", "", "2026-05-28", "LOCKED", "Amir"],
    ]
    result = run(cs_user, csv_bytes(rows, delimiter=";", header=header, bom=True))
    assert counts(result) == (2, 2, 2, 0, 0)
    assert Reading.objects.get(customer__number="0100000002").anomaly == Anomaly.LOCKED


def test_trailing_delimiters_are_ignored(cs_user):
    metered("0100000001", initial_stand=0)
    data = (
        b"customer_number;period;stand;read_date;anomaly_code;reader;\r\n"
        b"0100000001;2026-06;15;2026-06-10;;;\r\n"
    )
    assert counts(run(cs_user, data)) == (1, 1, 1, 0, 0)


# --- whole files refused ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\r\n  \r\n", "The file is empty."),
        (
            csv_bytes([["0100000001", "2026-06", "15", "2026-06-10", ""]], header=HEADER[:5]),
            "missing columns: reader",
        ),
        (
            csv_bytes([["0100000001", "2026-06", "15", "2026-06-10", "", "", "x"]], header=[*HEADER, "name"]),
            "unknown columns: name",
        ),
        (csv_bytes([["0100000001", "2026-06", "15", "2026-06-10", "", ""]], header=None), "missing columns"),
        (csv_bytes([], header=HEADER), "The file has a header but no readings."),
        (
            LATIN_1,
            "The file is not UTF-8 text",
        ),
        ("customer_number,period".encode("utf-16"), "The file is not UTF-8 text"),
        (b"PK\x03\x04\x14\x00\x06\x00rest-of-a-zip", "This is an Excel workbook"),
    ],
    ids=["empty", "blank", "missing", "unknown", "no-header", "header-only", "latin-1", "utf-16", "xlsx"],
)
def test_unreadable_files_are_refused_whole(cs_user, settings, data, message):
    settings.LANGUAGE_CODE = "en"
    metered("0100000001")
    with pytest.raises(ValidationError) as refused:
        reading_import_create(actor=cs_user, upload=upload(data), queue=False)
    assert message in " ".join(refused.value.messages)
    assert not ReadingImport.objects.exists()
    assert not Reading.objects.exists()


def test_too_large_file_is_refused_before_reading_it(cs_user, settings, monkeypatch):
    settings.LANGUAGE_CODE = "en"
    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    data = csv_bytes([["0100000001", "2026-06", str(i), "2026-06-10", "", ""] for i in range(10)])
    with pytest.raises(ValidationError, match="The file is too large"):
        reading_import_create(actor=cs_user, upload=upload(data), queue=False)
    assert not ReadingImport.objects.exists()


# --- idempotence ------------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(cs_user):
    with_history(cs_user, "0100000001")
    with_history(cs_user, "0100000002")
    data = csv_bytes(
        [
            ["0100000001", "2026-06", "1081", "2026-06-10", "", ""],
            ["0100000002", "2026-06", "1099", "2026-06-10", "tampered", ""],
            ["0100000002", "2026-06", "1099", "2026-06-10", "", ""],  # duplicate
        ]
    )
    first = run(cs_user, data)
    snapshot = list(Reading.objects.order_by("pk").values())
    second = run(cs_user, data)

    assert counts(first) == (3, 3, 2, 0, 1)
    assert counts(second) == (3, 3, 0, 2, 1)
    assert first.sha256 == second.sha256
    assert list(Reading.objects.order_by("pk").values()) == snapshot


def test_an_existing_reading_with_other_values_is_refused_not_overwritten(cs_user, settings):
    settings.LANGUAGE_CODE = "en"
    customer = with_history(cs_user, "0100000001")
    typed = read(cs_user, customer, period(6), stand=1081, read_on=datetime.date(2026, 6, 10))
    result = run(cs_user, csv_bytes([["0100000001", "2026-06", "1085", "2026-06-10", "", ""]]))
    assert counts(result) == (1, 1, 0, 0, 1)
    assert "already has a reading for 2026-06" in result.errors[0]["reason"]
    typed.refresh_from_db()
    assert (typed.stand, typed.method) == (1081, ReadingMethod.FIELD)


def test_an_estimate_typed_with_a_stand_counts_as_unchanged(cs_user):
    """An estimate keeps no stand: the same row again must still match it."""
    with_history(cs_user, "0100000001")
    data = csv_bytes([["0100000001", "2026-06", "1085", "2026-06-10", "blurred", ""]])
    assert run(cs_user, data).saved_rows == 1
    assert run(cs_user, data).unchanged_rows == 1


# --- parity with hand entry -------------------------------------------------------------------


def _scenarios(actor) -> list[list[str]]:
    """Customers in every situation the rules know, and the row each gets in June."""
    with_history(actor, "0200000001")  # plain: 1060 → 1081
    with_history(actor, "0200000002")  # high usage
    with_history(actor, "0200000003")  # zero usage
    with_history(actor, "0200000004")  # locked: estimate
    metered("0200000005", initial_stand=500)  # no history at all
    metered("0200000006", initial_stand=500)  # no history, blurred: fallback estimate
    with_history(actor, "0200000007")  # tampered, stand read
    with_history(actor, "0200000008")  # reversed: estimate and a check
    with_history(actor, "0200000009", initial_stand=99_900)  # 99960 → wraps to 25
    replaced = with_history(actor, "0200000010")  # old meter 1060 → 1070, new meter 0 → 12
    services.meter_replace(
        actor=actor,
        customer=replaced,
        replaced_on=datetime.date(2026, 5, 20),
        final_stand=1070,
        serial_number="M-NEW-10",
        size="1/2",
        reason="Meter rusak",
    )
    after_estimate = with_history(actor, "0200000011")  # May estimated, June covers two months
    Reading.objects.filter(customer=after_estimate, period__month=datetime.date(2026, 5, 1)).delete()
    read(actor, after_estimate, period(5), anomaly=Anomaly.LOCKED)
    with_history(actor, "0200000012")  # lower stand: refused
    with_history(actor, "0200000013", monthly=(10, 30, 20))  # low usage
    day = "2026-06-10"
    return [
        ["0200000001", "2026-06", "1081", day, "", "Amir"],
        ["0200000002", "2026-06", "1150", day, "", "Amir"],
        ["0200000003", "2026-06", "1060", day, "", "Amir"],
        ["0200000004", "2026-06", "", day, "locked", "Amir"],
        ["0200000005", "2026-06", "530", day, "", "Amir"],
        ["0200000006", "2026-06", "", day, "blurred", "Amir"],
        ["0200000007", "2026-06", "1082", day, "tampered", "Amir"],
        ["0200000008", "2026-06", "1030", day, "reversed", "Amir"],
        ["0200000009", "2026-06", "25", day, "", "Amir"],
        ["0200000010", "2026-06", "12", day, "", "Amir"],
        ["0200000011", "2026-06", "1090", day, "", "Amir"],
        ["0200000012", "2026-06", "1000", day, "", "Amir"],
        ["0200000013", "2026-06", "1064", day, "", "Amir"],
    ]


FIELDS = [
    "customer__number",
    "meter_id",
    "stand",
    "previous_stand",
    "usage_m3",
    "months_covered",
    "replaced_meter_usage_m3",
    "rollover",
    "estimated",
    "read_on",
    "reader",
    "method",
    "anomaly",
    "flags",
    "status",
    "entered_by",
]


def _june() -> list[dict]:
    return list(Reading.objects.filter(period__month=JUNE).order_by("customer__number").values(*FIELDS))


def test_import_decides_exactly_as_hand_entry(cs_user):
    rows = _scenarios(cs_user)
    with transaction.atomic():
        result = run(cs_user, csv_bytes(rows))
        imported = _june()
        import_errors = reasons(result)
        transaction.set_rollback(True)

    typed_errors = {}
    for line, (number, _p, stand, day, anomaly, reader) in enumerate(rows, start=2):
        try:
            services.reading_record(
                actor=cs_user,
                customer=Customer.objects.get(number=number),
                period=period(6),
                stand=int(stand) if stand else None,
                anomaly=anomaly,
                read_on=datetime.date.fromisoformat(day),
                reader=reader,
                method=ReadingMethod.IMPORT,
            )
        except ValidationError as error:
            typed_errors[line] = " ".join(error.messages)

    assert imported == _june()
    assert import_errors == typed_errors
    assert list(import_errors) == [13]  # the lower stand, nothing else
    by_number = {r["customer__number"]: r for r in imported}
    # The worked examples behind the equality, so that it cannot pass on two empty lists.
    assert (by_number["0200000001"]["usage_m3"], by_number["0200000001"]["flags"]) == (21, [])
    assert by_number["0200000002"]["flags"] == [Flag.HIGH]
    assert by_number["0200000003"]["flags"] == [Flag.ZERO]
    assert (by_number["0200000004"]["usage_m3"], by_number["0200000004"]["method"]) == (
        20,
        ReadingMethod.ESTIMATE,
    )
    assert by_number["0200000005"]["usage_m3"] == 30
    assert by_number["0200000006"]["usage_m3"] == 10
    assert by_number["0200000007"]["flags"] == [Flag.ANOMALY]
    assert (by_number["0200000008"]["estimated"], by_number["0200000008"]["flags"]) == (True, [Flag.ANOMALY])
    assert (by_number["0200000009"]["rollover"], by_number["0200000009"]["usage_m3"]) == (
        True,
        25 + 99_999 + 1 - 99_960,
    )
    assert (by_number["0200000010"]["usage_m3"], by_number["0200000010"]["replaced_meter_usage_m3"]) == (
        22,
        10,
    )
    assert (by_number["0200000011"]["usage_m3"], by_number["0200000011"]["months_covered"]) == (50, 2)
    assert by_number["0200000013"]["flags"] == [Flag.LOW]
    assert all(r["status"] == ReadingStatus.FLAGGED for r in imported if r["flags"])


def test_chunks_report_progress_and_months_in_a_row_build_on_each_other(cs_user, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    customers = [metered(f"03000000{i:02d}", initial_stand=100) for i in range(7)]
    rows = []
    # July first in the file: it must still be decided after June.
    for c in customers:
        rows.append([c.number, "2026-07", "140", "2026-07-01", "", ""])
    for c in customers:
        rows.append([c.number, "2026-06", "120", "2026-06-01", "", ""])
    seen = []
    real_save = imports._save_progress
    monkeypatch.setattr(
        imports,
        "_save_progress",
        lambda ri, p: (seen.append((p.processed, p.saved)), real_save(ri, p)),
    )
    # 1 July is in the future on 15 June: move to 2 July for this file.
    with time_machine.travel(datetime.datetime(2026, 7, 2, 3, 0, tzinfo=datetime.UTC), tick=False):
        result = run(cs_user, csv_bytes(rows))
    assert counts(result) == (14, 14, 14, 0, 0)
    assert seen == [(0, 0), (3, 3), (6, 6), (7, 7), (10, 10), (13, 13), (14, 14)]
    july = Reading.objects.filter(period__month=datetime.date(2026, 7, 1))
    assert {(r.previous_stand, r.usage_m3) for r in july} == {(120, 20)}


# --- the task ---------------------------------------------------------------------------------


def test_upload_queues_the_task_on_commit_and_a_second_run_does_nothing(
    cs_user, django_capture_on_commit_callbacks
):
    metered("0100000001", initial_stand=0)
    data = csv_bytes([["0100000001", "2026-06", "15", "2026-06-10", "", ""]])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = reading_import_create(actor=cs_user, upload=upload(data))
    assert len(callbacks) == 1
    created.refresh_from_db()
    assert created.status == ReadingImport.Status.DONE
    assert created.saved_rows == 1

    assert (reading_import_task.soft_time_limit, reading_import_task.time_limit) == (600, 720)
    reading_import_task(created.pk)  # a second delivery of the same message
    assert reading_import_run(import_id=created.pk) is None
    assert Reading.objects.count() == 1
    assert AuditEntry.objects.filter(action="reading.import").count() == 1
    created.refresh_from_db()
    assert (created.saved_rows, created.unchanged_rows) == (1, 0)


def test_a_run_claimed_elsewhere_is_left_alone_until_it_is_stale(cs_user):
    metered("0100000001", initial_stand=0)
    data = csv_bytes([["0100000001", "2026-06", "15", "2026-06-10", "", ""]])
    created = reading_import_create(actor=cs_user, upload=upload(data), queue=False)
    ReadingImport.objects.filter(pk=created.pk).update(
        status=ReadingImport.Status.RUNNING,
        started_at=datetime.datetime(2026, 6, 15, 2, 55, tzinfo=datetime.UTC),
    )
    assert reading_import_run(import_id=created.pk) is None
    assert not Reading.objects.exists()
    # Its worker died: after the stale delay another run takes it over.
    ReadingImport.objects.filter(pk=created.pk).update(
        started_at=datetime.datetime(2026, 6, 15, 2, 0, tzinfo=datetime.UTC)
    )
    assert reading_import_run(import_id=created.pk).saved_rows == 1


def test_a_rerun_counts_what_the_first_run_saved_as_unchanged(cs_user):
    metered("0100000001", initial_stand=0)
    metered("0100000002", initial_stand=0)
    data = csv_bytes(
        [
            ["0100000001", "2026-06", "15", "2026-06-10", "", ""],
            ["0100000002", "2026-06", "9", "2026-06-10", "", ""],
        ]
    )
    result = run(cs_user, data)
    ReadingImport.objects.filter(pk=result.pk).update(status=ReadingImport.Status.QUEUED)
    rerun = reading_import_run(import_id=result.pk)
    assert counts(rerun) == (2, 2, 0, 2, 0)
    assert Reading.objects.count() == 2


def test_an_unexpected_error_fails_the_import_and_keeps_earlier_chunks(cs_user, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 1)
    metered("0100000001", initial_stand=0)
    metered("0100000002", initial_stand=0)
    real_chunk = imports._import_chunk
    calls = []

    def failing(reading_import, month, chunk, limits):
        calls.append(chunk)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real_chunk(reading_import, month, chunk, limits)

    monkeypatch.setattr(imports, "_import_chunk", failing)
    data = csv_bytes(
        [
            ["0100000001", "2026-06", "15", "2026-06-10", "", ""],
            ["0100000002", "2026-06", "9", "2026-06-10", "", ""],
        ]
    )
    result = run(cs_user, data)
    assert result.status == ReadingImport.Status.FAILED
    assert result.failure
    assert counts(result) == (2, 1, 1, 0, 0)
    assert list(Reading.objects.values_list("customer__number", flat=True)) == ["0100000001"]
    assert AuditEntry.objects.get(action="reading.import").changes["status"] == ["running", "failed"]


# --- the pages --------------------------------------------------------------------------------


@pytest.fixture
def importer(cs_user):
    from django.contrib.auth.models import Permission

    cs_user.user_permissions.add(Permission.objects.get(codename="import_readings"))
    return cs_user


def test_upload_page_imports_and_shows_the_report(
    client, importer, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"
    with_history(importer, "0100000001")
    client.force_login(importer)
    assert client.get(reverse("meters:import_upload")).status_code == 200
    data = csv_bytes(
        [
            ["0100000001", "2026-06", "1081", "2026-06-10", "", ""],
            ["0100000001", "2026-06", "=cmd|x", "", "", ""],
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("meters:import_upload"), {"file": upload(data, "juni.csv")})
    created = ReadingImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("meters:import_detail", args=[created.pk])

    page = client.get(response["Location"]).content.decode()
    assert "juni.csv" in page
    assert "nomor_pelanggan" in client.get(reverse("meters:import_upload")).content.decode()
    assert "Line 2 already has a reading" in page

    status = client.get(reverse("meters:import_status", args=[created.pk])).json()
    assert status == {
        "status": "done",
        "status_label": "Done",
        "finished": True,
        "percent": 100,
        "total": 2,
        "processed": 2,
        "saved": 1,
        "unchanged": 0,
        "errors": 1,
        "failure": "",
    }

    download = client.get(reverse("meters:import_errors", args=[created.pk]))
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    assert download.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert lines == [
        [*HEADER, "line", "reason"],
        [
            "0100000001",
            "2026-06",
            "'=cmd|x",
            "",
            "",
            "",
            "3",
            "Line 2 already has a reading of this customer for this period.",
        ],
    ]


def test_upload_of_a_bad_file_shows_the_reason_and_stores_nothing(client, importer, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(importer)
    response = client.post(
        reverse("meters:import_upload"), {"file": upload(b"nama;alamat\r\nBudi;Jl. Sunu\r\n")}
    )
    assert response.status_code == 200
    assert "missing columns: customer_number" in response.content.decode()
    assert not ReadingImport.objects.exists()


def test_errors_csv_neutralises_formulas(cs_user):
    result = run(cs_user, csv_bytes([["=HYPERLINK(1)", "2026-06", "1", "2026-06-10", "", ""]]))
    text = imports.reading_import_errors_csv(reading_import=result)
    assert "'=HYPERLINK(1)" in text


@pytest.mark.parametrize("persona", ["anonymous", "customer", "cashier", "manager"])
def test_import_pages_are_closed_without_the_permission(persona_client, persona, cs_user):
    created = ReadingImport.objects.create(filename="x.csv", sha256="0" * 64, file="imports/x.csv")
    client = persona_client(persona)
    for url in [
        reverse("meters:import_upload"),
        reverse("meters:import_detail", args=[created.pk]),
        reverse("meters:import_status", args=[created.pk]),
        reverse("meters:import_errors", args=[created.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == (302 if persona == "anonymous" else 403), url


def test_queued_import_page_polls_its_status(client, importer):
    created = ReadingImport.objects.create(
        filename="x.csv", sha256="0" * 64, file="imports/x.csv", total_rows=10
    )
    client.force_login(importer)
    page = client.get(reverse("meters:import_detail", args=[created.pk])).content.decode()
    assert reverse("meters:import_status", args=[created.pk]) in page
    assert 'role="progressbar"' in page


def test_a_reading_typed_during_the_chunk_makes_it_retry(cs_user, monkeypatch):
    """The hand-typed reading wins: the retried chunk finds it and leaves it alone."""
    customer = metered("0100000001", initial_stand=0)
    metered("0100000002", initial_stand=0)
    real_insert = imports.bulk_insert
    attempts = []

    def racing_insert(model, columns, rows, *, copy):
        attempts.append(len(rows))
        if len(attempts) == 1:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real_insert(model, columns, rows, copy=copy)

    monkeypatch.setattr(imports, "bulk_insert", racing_insert)
    data = csv_bytes(
        [
            ["0100000001", "2026-06", "15", "2026-06-10", "", ""],
            ["0100000002", "2026-06", "9", "2026-06-10", "", ""],
        ]
    )
    result = run(cs_user, data)
    assert attempts == [2, 2]
    assert counts(result) == (2, 2, 2, 0, 0)
    assert Reading.objects.filter(customer=customer).count() == 1


def test_bulk_insert_reports_a_duplicate_as_an_integrity_error(cs_user):
    customer = metered("0100000001", initial_stand=0)
    reading = read(cs_user, customer, period(6), stand=5, read_on=datetime.date(2026, 6, 10))
    row = [getattr(reading, column) if column != "photo" else "" for column in imports.READING_COLUMNS]
    with pytest.raises(IntegrityError), transaction.atomic():
        imports.bulk_insert(
            Reading, imports.READING_COLUMNS, [tuple(row)], copy=connection.vendor == "postgresql"
        )
    assert Reading.objects.count() == 1


# --- the refused-rows download -----------------------------------------------------------------


def test_a_file_whose_rows_are_all_refused_leaves_no_new_period(cs_user, settings):
    settings.LANGUAGE_CODE = "en"
    with_history(cs_user, "0100000001")  # last stand 1060
    closed = metered("0100000002", status=CustomerStatus.CLOSED)
    assert closed.status == CustomerStatus.CLOSED
    assert not Period.objects.filter(month=JUNE).exists()
    result = run(
        cs_user,
        csv_bytes(
            [
                ["0100000001", "2026-06", "1059", "2026-06-10", "", ""],  # below the last stand
                ["0100000002", "2026-06", "1010", "2026-06-10", "", ""],  # not read any more
                ["0100000009", "2026-06", "1010", "2026-06-10", "", ""],  # unknown
            ]
        ),
    )
    assert counts(result) == (3, 3, 0, 0, 3)
    assert "lower" in reasons(result)[2]
    assert not Period.objects.filter(month=JUNE).exists()
    assert not Reading.objects.filter(period__month=JUNE).exists()


ID_HEADER = ["tanggal_baca", "nomor_pelanggan", "stand", "periode", "pembaca", "kode_anomali"]


def test_errors_csv_gives_the_rows_back_as_uploaded_with_headers_in_the_page_language(cs_user, settings):
    settings.LANGUAGE_CODE = "id"
    with_history(cs_user, "0100000001")  # last stand 1060
    metered("0100000002", initial_stand=0)
    # Columns in their own order, semicolons, as Excel in Indonesia writes them.
    header = ["read_date", "customer_number", "stand", "period", "reader", "anomaly_code"]
    rows = [
        ["2026-06-10", "0100000001", "1059", "2026-06", "Amir", ""],  # below the last stand
        ["2026-06-10", "0100000002", "15", "2026-06", "Amir", ""],  # saved
        ["10-06-2026", "0100000004", " 15 ", "2026-06", "@Budi", ""],  # a date Excel rewrote
        ["2026-06-10", "0100000003", "7", "2026-06", "Amir", "", "extra"],  # one field too many
    ]
    result = run(cs_user, csv_bytes(rows, delimiter=";", header=header))
    assert counts(result) == (4, 4, 1, 0, 3)
    assert (result.delimiter, result.columns) == (";", header)

    with translation.override("id"):
        text = imports.reading_import_errors_csv(reading_import=result)
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert lines[0] == [*ID_HEADER, "baris", "alasan"]
    assert lines[1][:7] == ["2026-06-10", "0100000001", "1059", "2026-06", "Amir", "", "2"]
    assert "lebih rendah" in lines[1][7]
    # As uploaded: spaces kept, the formula-like reader neutralised by the kernel's export helper.
    assert lines[2][:7] == ["10-06-2026", "0100000004", " 15 ", "2026-06", "'@Budi", "", "4"]
    assert "TTTT-BB-HH" in lines[2][7]
    assert lines[3][:7] == ["2026-06-10", "0100000003", "7", "2026-06", "Amir", "", "5"]
    assert lines[3][8:] == ["extra"]  # the field beyond the header, kept after the reason

    with translation.override("en"):
        english = imports.reading_import_errors_csv(reading_import=result)
    assert next(csv.reader(io.StringIO(english[1:]), delimiter=";")) == [*header, "line", "reason"]


def test_a_corrected_download_imports_as_it_is(cs_user, settings):
    settings.LANGUAGE_CODE = "id"
    with_history(cs_user, "0100000001")  # last stand 1060
    first = run(cs_user, csv_bytes([["0100000001", "2026-06", "1059", "2026-06-10", "", "Amir"]]))
    assert first.error_rows == 1
    with translation.override("id"):
        text = imports.reading_import_errors_csv(reading_import=first)
    corrected = text.replace(";1059;", ";1081;").replace(",1059,", ",1081,")
    assert corrected != text
    second = run(cs_user, corrected.encode())
    assert counts(second) == (1, 1, 1, 0, 0)
    reading = Reading.objects.get(customer__number="0100000001", period__month=JUNE)
    assert (reading.stand, reading.usage_m3, reading.reader) == (1081, 21, "Amir")


def test_errors_csv_of_an_import_from_before_the_columns_were_kept(cs_user, settings):
    created = reading_import_create(actor=cs_user, upload=upload(csv_bytes([["x"] * 6])), queue=False)
    ReadingImport.objects.filter(pk=created.pk).update(
        status=ReadingImport.Status.DONE,
        errors=[{"line": 2, "customer_number": "0100000001", "reason": "Unknown customer number."}],
    )
    created.refresh_from_db()
    with translation.override("en"):
        text = imports.reading_import_errors_csv(reading_import=created)
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        [*HEADER, "line", "reason"],
        ["0100000001", "", "", "", "", "", "2", "Unknown customer number."],
    ]
