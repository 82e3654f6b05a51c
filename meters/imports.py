"""Importing meter readings from a CSV file (impor stand meter).

The file has a header row with exactly these columns, in any order (names are not
case-sensitive; a missing or unknown column refuses the whole file):

=================  ==========================================================================
customer_number    the customer (connection) number, e.g. ``0100000123``. Format the column
                   as text in a spreadsheet, or it drops the leading zero.
period             the billing period, ``YYYY-MM``.
stand              the meter's stand in whole m3, digits only. May be empty when
                   ``anomaly_code`` is given.
read_date          the day the meter was read, ``YYYY-MM-DD``: in the period's month or the
                   month before, never in the future.
anomaly_code       empty, or one of ``meters.models.Anomaly``: blurred, broken, no_meter,
                   house_empty, locked, buried, flooded, blocked, address_not_found, reversed,
                   tampered, seal_broken.
reader             who read the meter (optional, at most 60 characters).
=================  ==========================================================================

The Indonesian column names of the refused-rows download (``nomor_pelanggan``, ``periode``,
``stand``, ``tanggal_baca``, ``kode_anomali``, ``pembaca``) are read too, and its report columns
(``line``/``baris``, ``reason``/``alasan``) are ignored: a corrected download imports as it is.

The delimiter is a comma or a semicolon (Excel in Indonesia writes semicolons); the text is
UTF-8, with or without a byte-order mark ("CSV UTF-8" in Excel); the file is at most 20 MB.
Example::

    customer_number;period;stand;read_date;anomaly_code;reader
    0100000001;2026-05;1234;2026-04-25;;Amir
    0100000002;2026-05;;2026-04-25;locked;Amir

Every row gets the same rules as a reading typed by hand (`meters.services.reading_record`):
the same facts (`reading_facts_for`), the same decision (`meters.rules.evaluate_reading`), the
same refusals. A row is saved whole or refused with its line number and the reason; an
existing reading is never overwritten (the same values count as unchanged, so importing a file
again changes nothing). For speed the rows go in chunks: one set of queries and one
transaction per chunk, and one audit row for the whole import.
"""

import csv
import datetime
import hashlib
import io
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.models import Customer, CustomerStatus
from meters.models import Anomaly, Period, Reading, ReadingImport, ReadingMethod
from meters.rules import ANOMALY_RULES, StandRefused, evaluate_reading
from meters.selectors import period_for_month, reading_facts_for, thresholds
from meters.services import period_get_or_open, reading_date_check, reading_lock_check
from pdam.audit import audit_record
from pdam.exports import export_row

logger = logging.getLogger(__name__)

COLUMNS = ("customer_number", "period", "stand", "read_date", "anomaly_code", "reader")
# The columns in Indonesian, as the refused-rows download names them in the Indonesian UI. This is
# a file format, not prose: fixed here (not in the .po), because the import reads them back.
COLUMNS_ID = {
    "customer_number": "nomor_pelanggan",
    "period": "periode",
    "stand": "stand",
    "read_date": "tanggal_baca",
    "anomaly_code": "kode_anomali",
    "reader": "pembaca",
}
# What the download adds to each refused row; an import of a corrected download skips them.
REPORT_COLUMNS = {"line": "baris", "reason": "alasan"}
_ALIASES = {
    **{name: name for name in COLUMNS},
    **{indonesian: name for name, indonesian in COLUMNS_ID.items()},
    **{name: name for name in REPORT_COLUMNS},
    **{indonesian: name for name, indonesian in REPORT_COLUMNS.items()},
}
MAX_BYTES = 20 * 1024 * 1024
CHUNK_ROWS = 2000
# A file of refused rows is still a report, not a dump: the counts stay exact beyond this.
MAX_ERRORS_KEPT = 50_000
# The task's limits (seconds); a run still "running" after STALE_AFTER died with its worker.
RUN_SOFT_TIME_LIMIT = 10 * 60
RUN_TIME_LIMIT = 12 * 60
STALE_AFTER = datetime.timedelta(minutes=15)

READABLE = (CustomerStatus.ACTIVE, CustomerStatus.SEALED)
_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STAND_RE = re.compile(r"^[+-]?\d{1,30}$")
# Formulas in a downloaded CSV run when a spreadsheet opens it: neutralise them.


# --- the file as a whole ---------------------------------------------------------------------


def _decode(data: bytes) -> str:
    """The file's text, or a ValidationError that says what to do instead."""
    if not data.strip():
        raise ValidationError(_("The file is empty."))
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ValidationError(
            _("This is an Excel workbook, not a CSV file. In Excel choose Save As → “CSV UTF-8”.")
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            _(
                "The file is not UTF-8 text (unreadable byte at position %(position)s). "
                "In Excel choose Save As → “CSV UTF-8”."
            )
            % {"position": error.start}
        ) from None
    if "\x00" in text:
        raise ValidationError(_("The file is not a text CSV file. In Excel choose Save As → “CSV UTF-8”."))
    return text


def _header(text: str) -> tuple[str, list[str]]:
    """The delimiter and the file's columns in their order (English names), or why the header is
    not right. A report column of the refused-rows download is named, to be skipped."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    names = next(csv.reader([first_line], delimiter=delimiter), [])
    names = [name.strip().lower().replace(" ", "_") for name in names]
    while names and not names[-1]:
        names.pop()  # a trailing delimiter, as some tools write on every line
    names = [_ALIASES.get(name, name) for name in names]
    expected = ", ".join(COLUMNS)
    missing = [c for c in COLUMNS if c not in names]
    unknown = [n for n in names if n not in _ALIASES]
    duplicated = sorted({n for n in names if n in _ALIASES and names.count(n) > 1})
    if missing or unknown or duplicated:
        problems = []
        if missing:
            problems.append(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
        if unknown:
            problems.append(
                _("unknown columns: %(columns)s") % {"columns": ", ".join(n or "''" for n in unknown)}
            )
        if duplicated:
            problems.append(_("repeated columns: %(columns)s") % {"columns": ", ".join(duplicated)})
        raise ValidationError(
            _("The first line must name the columns %(expected)s; found %(problems)s.")
            % {"expected": expected, "problems": "; ".join(problems)}
        )
    return delimiter, names


def _records(text: str):
    """(line number, values, positions) of every non-blank data row, after a checked header."""
    delimiter, names = _header(text)
    positions = {name: names.index(name) for name in COLUMNS}
    width = len(names)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        next(reader)
        while True:
            line = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            if not any(v.strip() for v in values):
                continue  # blank lines and the empty rows spreadsheets leave behind
            yield line, values, positions, width
    except csv.Error as error:
        raise ValidationError(
            _("Line %(line)s cannot be read as CSV (%(error)s); nothing after it was read.")
            % {"line": reader.line_num, "error": error}
        ) from None


def _size_check(size: int) -> None:
    if size > MAX_BYTES:
        raise ValidationError(
            _("The file is too large (%(size)s MB; at most %(max)s MB). Split it into smaller files.")
            % {"size": round(size / 1024 / 1024, 1), "max": MAX_BYTES // 1024 // 1024}
        )


def file_check(data: bytes) -> None:
    """Refuse a file that cannot be imported at all: too large, empty, not UTF-8, wrong columns."""
    _size_check(len(data))
    text = _decode(data)
    if next(_records(text), None) is None:
        raise ValidationError(_("The file has a header but no readings."))


# --- one row ----------------------------------------------------------------------------------


class RowRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Row:
    line: int
    number: str
    month: datetime.date
    stand: int | None
    read_on: datetime.date
    anomaly: str
    reader: str
    values: list[str]  # the row as uploaded, for the refused-rows download

    @property
    def stored_stand(self) -> int | None:
        """The stand as a reading would keep it: none when the anomaly makes it unusable."""
        rule = ANOMALY_RULES.get(self.anomaly)
        return None if rule is not None and not rule.usable_stand else self.stand


def _month(raw: str) -> datetime.date:
    match = _PERIOD_RE.match(raw)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise RowRefused(_("The period %(value)s is not a month written as YYYY-MM.") % {"value": raw[:20]})
    return datetime.date(int(match[1]), int(match[2]), 1)


def _stand(raw: str, anomaly: str) -> int | None:
    if not raw:
        if not anomaly:
            raise RowRefused(_("Type the stand, or pick an anomaly code."))
        return None
    if not _STAND_RE.match(raw):
        raise RowRefused(_("The stand %(value)s is not a whole number (digits only).") % {"value": raw[:20]})
    return int(raw)


def _read_on(raw: str, month: datetime.date) -> datetime.date:
    try:
        if not _DATE_RE.match(raw):
            raise ValueError(raw)
        read_on = datetime.date.fromisoformat(raw)
    except ValueError:
        raise RowRefused(
            _("The reading date %(value)s is not a date written as YYYY-MM-DD.") % {"value": raw[:20]}
        ) from None
    try:
        reading_date_check(read_on, Period(month=month))
    except ValidationError as error:
        raise RowRefused(" ".join(error.messages)) from None
    return read_on


def _parse_row(line: int, values: list[str], positions: dict[str, int], width: int, seen: dict) -> Row:
    if len(values) > width and not any(v.strip() for v in values[width:]):
        values = values[:width]  # trailing delimiters
    if len(values) != width:
        raise RowRefused(
            _("The line has %(found)s fields; the header has %(expected)s.")
            % {"found": len(values), "expected": width}
        )
    get = {name: values[i].strip() for name, i in positions.items()}
    number = get["customer_number"]
    if not number:
        raise RowRefused(_("The customer number is missing."))
    month = _month(get["period"])
    first = seen.setdefault((number, month), line)
    if first != line:
        raise RowRefused(
            _("Line %(line)s already has a reading of this customer for this period.") % {"line": first}
        )
    anomaly = get["anomaly_code"].lower()
    if anomaly and anomaly not in Anomaly.values:
        raise RowRefused(
            _("Unknown anomaly code %(code)s; use one of %(codes)s.")
            % {"code": anomaly[:30], "codes": ", ".join(Anomaly.values)}
        )
    stand = _stand(get["stand"], anomaly)
    read_on = _read_on(get["read_date"], month)
    return Row(
        line=line,
        number=number,
        month=month,
        stand=stand,
        read_on=read_on,
        anomaly=anomaly,
        reader=get["reader"][:60],
        values=values,
    )


READING_COLUMNS = [
    "customer_id",
    "period_id",
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
    "photo",
    "entered_by_id",
    "created_at",
    "updated_at",
]


def bulk_insert(model: type[models.Model], columns: list[str], rows: Iterable[tuple], *, copy: bool) -> int:
    """Write rows of `columns` (attribute names): COPY on PostgreSQL, bulk_create elsewhere.

    COPY skips the ORM's per-value work, which is most of the time of an import; errors come out
    as Django's (an IntegrityError on a duplicate), as from bulk_create.
    """
    count = 0
    if copy:
        sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with connection.wrap_database_errors, connection.cursor() as cursor, cursor.copy(sql) as stream:
            for row in rows:
                stream.write_row([json.dumps(v) if isinstance(v, list) else v for v in row])
                count += 1
        return count
    batch: list[models.Model] = []
    for row in rows:
        batch.append(model(**dict(zip(columns, row, strict=True))))
        if len(batch) >= CHUNK_ROWS:
            model.objects.bulk_create(batch)
            count += len(batch)
            batch.clear()
    model.objects.bulk_create(batch)
    return count + len(batch)


# --- the import -------------------------------------------------------------------------------


@dataclass
class _Progress:
    total: int = 0
    processed: int = 0
    saved: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)

    def refuse(self, line: int, number: str, reason: str, values: list[str]) -> None:
        self.errors.append(
            {"line": line, "customer_number": number[:30], "reason": reason, "values": list(values)}
        )


def reading_import_create(
    *, actor, upload: UploadedFile, language: str = "", queue: bool = True
) -> ReadingImport:
    """Keep an uploaded reading file and queue its import (on commit).

    A file that cannot be imported at all is refused here with a ValidationError, before it
    is stored. `queue=False` leaves the run to the caller (the benchmark runs it in process).
    """
    if upload.size is not None:
        _size_check(upload.size)  # before reading it
    data = upload.read(MAX_BYTES + 1)
    file_check(data)
    filename = (upload.name or "readings.csv").replace("\\", "/").rsplit("/", 1)[-1][:255]
    with transaction.atomic():
        reading_import = ReadingImport(
            filename=filename,
            sha256=hashlib.sha256(data).hexdigest(),
            language=(language or "")[:8],
            uploaded_by=actor if actor is not None and actor.is_authenticated else None,
        )
        reading_import.file.save(filename, ContentFile(data), save=False)
        reading_import.save()
        if queue:
            from meters.tasks import reading_import_run as task

            transaction.on_commit(lambda: task.delay(reading_import.pk))
    return reading_import


def _claim(import_id: int) -> bool:
    """Take the import for this run: queued, or left running by a worker that died."""
    now = timezone.now()
    claimable = Q(status=ReadingImport.Status.QUEUED) | Q(
        status=ReadingImport.Status.RUNNING, started_at__lt=now - STALE_AFTER
    )
    return (
        ReadingImport.objects.filter(claimable, pk=import_id).update(
            status=ReadingImport.Status.RUNNING,
            started_at=now,
            finished_at=None,
            failure="",
            total_rows=0,
            processed_rows=0,
            saved_rows=0,
            unchanged_rows=0,
            error_rows=0,
            errors=[],
        )
        == 1
    )


def reading_import_run(*, import_id: int) -> ReadingImport | None:
    """Run a queued import. Returns None when another run has it (or had it) already."""
    if not _claim(import_id):
        return None
    reading_import = ReadingImport.objects.select_related("uploaded_by").get(pk=import_id)
    progress = _Progress()
    with translation.override(reading_import.language or settings.LANGUAGE_CODE):
        try:
            _run(reading_import, progress)
        except ValidationError as error:
            _finish(reading_import, progress, failure=" ".join(error.messages))
        except Exception:
            logger.exception("Reading import %s failed", import_id)
            _finish(
                reading_import,
                progress,
                failure=_(
                    "The import stopped on an unexpected error. The readings saved so far are kept; "
                    "upload the file again to import the rest."
                ),
            )
        else:
            _finish(reading_import, progress)
    reading_import.refresh_from_db()
    return reading_import


def _save_progress(reading_import: ReadingImport, progress: _Progress) -> None:
    ReadingImport.objects.filter(pk=reading_import.pk).update(
        total_rows=progress.total,
        processed_rows=progress.processed,
        saved_rows=progress.saved,
        unchanged_rows=progress.unchanged,
        error_rows=len(progress.errors),
    )


def _finish(reading_import: ReadingImport, progress: _Progress, *, failure: str = "") -> None:
    status = ReadingImport.Status.FAILED if failure else ReadingImport.Status.DONE
    errors = sorted(progress.errors, key=lambda e: e["line"])
    with transaction.atomic():
        ReadingImport.objects.filter(pk=reading_import.pk).update(
            status=status,
            total_rows=progress.total,
            processed_rows=progress.processed,
            saved_rows=progress.saved,
            unchanged_rows=progress.unchanged,
            error_rows=len(errors),
            errors=errors[:MAX_ERRORS_KEPT],
            finished_at=timezone.now(),
            failure=failure,
        )
        audit_record(
            actor=reading_import.uploaded_by,
            action="reading.import",
            obj=reading_import,
            changes={
                "status": [ReadingImport.Status.RUNNING.value, status.value],
                "saved_rows": [None, progress.saved],
                "unchanged_rows": [None, progress.unchanged],
                "error_rows": [None, len(errors)],
            },
            reason=reading_import.filename if not failure else f"{reading_import.filename}: {failure}",
        )


def _run(reading_import: ReadingImport, progress: _Progress) -> None:
    with reading_import.file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    file_check(data)
    rows_by_month: dict[datetime.date, list[Row]] = defaultdict(list)
    seen: dict[tuple[str, datetime.date], int] = {}
    text = _decode(data)
    delimiter, columns = _header(text)
    ReadingImport.objects.filter(pk=reading_import.pk).update(delimiter=delimiter, columns=columns)
    for line, values, positions, width in _records(text):
        progress.total += 1
        try:
            row = _parse_row(line, values, positions, width, seen)
        except RowRefused as refused:
            number = (
                values[positions["customer_number"]].strip()
                if len(values) > positions["customer_number"]
                else ""
            )
            progress.refuse(line, number, refused.reason, values)
            progress.processed += 1
        else:
            rows_by_month[row.month].append(row)
    _save_progress(reading_import, progress)

    limits = thresholds()
    # Oldest period first: a file may carry a customer's months in a row, each on the one before.
    for month in sorted(rows_by_month):
        rows = rows_by_month[month]
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            for attempt in (1, 2):
                try:
                    saved, unchanged, refused = _import_chunk(reading_import, month, chunk, limits)
                    break
                except IntegrityError:
                    # A reading typed by hand slipped in between our check and our insert; the
                    # second attempt sees it.
                    if attempt == 2:
                        raise
            progress.saved += saved
            progress.unchanged += unchanged
            for row, reason in refused:
                progress.refuse(row.line, row.number, reason, row.values)
            progress.processed += len(chunk)
            _save_progress(reading_import, progress)


def _import_chunk(reading_import: ReadingImport, month: datetime.date, chunk: list[Row], limits):
    """Decide and save one chunk of one period's rows in one transaction.

    The checks of `reading_record`, in its order, for many rows at once. The customers' rows are
    locked while we decide, as `reading_record` locks its one, so a reading typed at the same
    moment waits for us (or we for it).
    """
    refused: list[tuple[Row, str]] = []
    unchanged = 0
    new_readings: list[tuple] = []
    with transaction.atomic():
        customers = {
            number: (pk, status)
            for pk, number, status in Customer.objects.select_for_update()
            .filter(number__in=[row.number for row in chunk])
            .order_by("pk")
            .values_list("pk", "number", "status")
        }
        unknown = [row for row in chunk if row.number not in customers]
        if unknown:
            padded = set(
                Customer.objects.filter(number__in=[f"0{row.number}" for row in unknown]).values_list(
                    "number", flat=True
                )
            )
            for row in unknown:
                if f"0{row.number}" in padded:
                    reason = _(
                        "Unknown customer number %(number)s. Did a spreadsheet drop the leading zero of "
                        "%(padded)s? Format the column as text."
                    ) % {"number": row.number, "padded": f"0{row.number}"}
                else:
                    reason = _("Unknown customer number %(number)s.") % {"number": row.number}
                refused.append((row, reason))
        known = [row for row in chunk if row.number in customers]
        if not known:
            return 0, 0, refused

        # Unsaved when nobody has used the month yet: it opens only if a row is saved (below), so
        # a file whose rows are all refused leaves no new period behind.
        period = period_for_month(month=month)
        ids = [customers[row.number][0] for row in known]
        # This period's readings and any later one, in one query.
        existing: dict[int, tuple] = {}
        later: set[int] = set()
        for customer_id, reading_month, stand, anomaly, read_on in Reading.objects.filter(
            customer_id__in=ids, period__month__gte=month
        ).values_list("customer_id", "period__month", "stand", "anomaly", "read_on"):
            if reading_month == month:
                existing[customer_id] = (stand, anomaly, read_on)
            else:
                later.add(customer_id)
        try:
            reading_lock_check(period=period, reading=None)
        except ValidationError as error:
            locked = " ".join(error.messages)
        else:
            locked = ""
        candidates: list[tuple[Row, int]] = []
        for row in known:
            customer_id, status = customers[row.number]
            if customer_id in existing:
                if existing[customer_id] == (row.stored_stand, row.anomaly, row.read_on):
                    unchanged += 1
                else:
                    refused.append(
                        (
                            row,
                            _(
                                "Customer %(number)s already has a reading for %(period)s; correct it in "
                                "the verification queue or on the customer page."
                            )
                            % {"number": row.number, "period": period},
                        )
                    )
            elif locked:
                refused.append((row, locked))
            elif status not in READABLE:
                refused.append(
                    (
                        row,
                        _("Customer %(number)s is %(status)s; their meter is not read.")
                        % {"number": row.number, "status": CustomerStatus(status).label.lower()},
                    )
                )
            elif customer_id in later:
                refused.append(
                    (row, _("A later period already has a reading; this one can no longer change."))
                )
            else:
                candidates.append((row, customer_id))

        facts_by_customer = reading_facts_for(customer_ids=[cid for _row, cid in candidates], period=period)
        actor_id = reading_import.uploaded_by_id
        now = timezone.now()
        accepted = []
        for row, customer_id in candidates:
            customer_facts = facts_by_customer[customer_id]
            if customer_facts.meter is None:
                refused.append(
                    (row, _("Customer %(number)s has no meter installed.") % {"number": row.number})
                )
                continue
            facts = customer_facts.facts
            try:
                evaluation = evaluate_reading(
                    facts=facts, stand=row.stand, anomaly=row.anomaly, thresholds=limits
                )
            except StandRefused as error:
                refused.append((row, str(error)))
                continue
            accepted.append((row, customer_id, customer_facts, evaluation))
        if accepted and period.pk is None:
            period = period_get_or_open(month=month)
            try:  # opened by someone else since we looked, and already on its way to billing
                reading_lock_check(period=period, reading=None)
            except ValidationError as error:
                refused.extend((row, " ".join(error.messages)) for row, *_rest in accepted)
                accepted = []
        for row, customer_id, customer_facts, evaluation in accepted:
            facts = customer_facts.facts
            new_readings.append(
                (
                    customer_id,
                    period.pk,
                    customer_facts.meter.pk,
                    evaluation.stand,
                    facts.previous_stand,
                    evaluation.usage_m3,
                    1 if evaluation.estimated else facts.months_covered,
                    facts.replaced_meter_usage_m3,
                    evaluation.rollover,
                    evaluation.estimated,
                    row.read_on,
                    row.reader,
                    ReadingMethod.ESTIMATE if evaluation.estimated else ReadingMethod.IMPORT,
                    row.anomaly,
                    list(evaluation.flags),
                    evaluation.status,
                    "",
                    actor_id,
                    now,
                    now,
                )
            )
        bulk_insert(Reading, READING_COLUMNS, new_readings, copy=connection.vendor == "postgresql")
    return len(new_readings), unchanged, refused


# --- reads for the pages ----------------------------------------------------------------------


def imports_recent(*, limit: int = 10) -> QuerySet[ReadingImport]:
    """The latest imports, without their (possibly long) error lists."""
    return (
        ReadingImport.objects.select_related("uploaded_by")
        .defer("errors")
        .order_by("-created_at", "-id")[:limit]
    )


def reading_import_errors_csv(*, reading_import: ReadingImport) -> str:
    """The refused rows as uploaded (same columns, same order, same delimiter), each with its line
    number and the reason, so that they can be corrected and imported again.

    The header is in the language of the page that asks (Indonesian column names in the
    Indonesian UI; the import reads both). A byte-order mark tells Excel the text is UTF-8, and
    every cell goes through `export_row`, as a name or stand such as ``=cmd|…`` must never run.
    """
    columns = list(reading_import.columns) or list(COLUMNS)  # imports from before columns were kept
    indonesian = (translation.get_language() or "").startswith("id")
    shown = [i for i, name in enumerate(columns) if name in COLUMNS]  # a re-upload's report columns go
    header = [COLUMNS_ID[columns[i]] if indonesian else columns[i] for i in shown]
    header += [REPORT_COLUMNS[name] if indonesian else name for name in ("line", "reason")]
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=reading_import.delimiter or ",", lineterminator="\r\n")
    writer.writerow(header)
    for error in reading_import.errors:
        values = error.get("values")
        if values is None:
            values = [error["customer_number"] if name == "customer_number" else "" for name in columns]
        cells = [values[i] if i < len(values) else "" for i in shown]
        extra = values[len(columns) :]  # a row with more fields than the header keeps them, last
        writer.writerow(export_row([*cells, error["line"], str(error["reason"]), *extra]))
    return buffer.getvalue()
