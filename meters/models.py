from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer


class MeterSize(models.TextChoices):
    """Nominal meter size; meter maintenance charges depend on it."""

    HALF = "1/2", '1/2"'
    THREE_QUARTER = "3/4", '3/4"'
    ONE = "1", '1"'
    ONE_HALF = "1 1/2", '1 1/2"'
    TWO = "2", '2"'
    THREE = "3", '3"'
    FOUR = "4", '4"'
    SIX = "6", '6"'


class Meter(models.Model):
    """A water meter installed at a customer's connection."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="meters"
    )
    serial_number = models.CharField(_("serial number"), max_length=32, unique=True)
    brand = models.CharField(_("brand"), max_length=50, blank=True)
    size = models.CharField(_("size"), max_length=8, choices=MeterSize.choices, default=MeterSize.HALF)
    digits = models.PositiveSmallIntegerField(
        _("digits"), default=5, help_text=_("Digits on the register; the meter wraps to 0 after 99…9.")
    )
    installed_on = models.DateField(_("installed on"))
    initial_stand = models.PositiveIntegerField(_("initial stand"), default=0)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    final_stand = models.PositiveIntegerField(_("final stand"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["-installed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(removed_on__isnull=True),
                name="one_installed_meter_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True, final_stand__isnull=True)
                | Q(removed_on__isnull=False, final_stand__isnull=False),
                name="meter_removed_with_final_stand",
            ),
            models.CheckConstraint(condition=Q(digits__gte=3, digits__lte=8), name="meter_digits_range"),
        ]

    def __str__(self) -> str:
        return f"{self.serial_number} ({self.get_size_display()})"

    @property
    def max_stand(self) -> int:
        return 10**self.digits - 1


class PeriodState(models.TextChoices):
    OPEN = "open", _("Open for readings")
    BILLING = "billing", _("Billing")
    BILLED = "billed", _("Billed")


class Period(models.Model):
    """A billing period: a calendar month, stored as its first day.

    Readings are entered while it is open; the bill run moves it on (billing → billed), after
    which its readings are locked and change only through a bill correction.
    """

    month = models.DateField(_("month"), unique=True)
    state = models.CharField(_("state"), max_length=16, choices=PeriodState.choices, default=PeriodState.OPEN)

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["-month"]
        constraints = [
            # The first day of a month on every database: the day part is 1.
            models.CheckConstraint(condition=Q(month__day=1), name="period_is_first_of_month"),
        ]

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def is_locked(self) -> bool:
        return self.state != PeriodState.OPEN


class ReadingMethod(models.TextChoices):
    FIELD = "field", _("Field reading")
    OFFICE = "office", _("Office entry")
    IMPORT = "import", _("Import")
    ESTIMATE = "estimate", _("Estimate")


class Anomaly(models.TextChoices):
    """Field anomaly codes (kode kelainan). See `meters.rules.ANOMALY_RULES` for what each means."""

    BLURRED = "blurred", _("Meter blurred / fogged")
    BROKEN = "broken", _("Meter broken")
    NO_METER = "no_meter", _("No meter")
    HOUSE_EMPTY = "house_empty", _("House empty")
    LOCKED = "locked", _("House or gate locked")
    BURIED = "buried", _("Meter buried")
    FLOODED = "flooded", _("Meter flooded")
    BLOCKED = "blocked", _("Meter blocked")
    ADDRESS_NOT_FOUND = "address_not_found", _("Address not found")
    REVERSED = "reversed", _("Meter reversed")
    TAMPERED = "tampered", _("Bypass / tampered")
    SEAL_BROKEN = "seal_broken", _("Seal broken")


class ReadingStatus(models.TextChoices):
    OK = "ok", _("Billable")
    FLAGGED = "flagged", _("Held for verification")
    REREAD = "reread", _("Sent back for re-read")


class Flag(models.TextChoices):
    ZERO = "zero", _("Zero usage")
    HIGH = "high", _("Usage far above average")
    LOW = "low", _("Usage far below average")
    ANOMALY = "anomaly", _("Anomaly needs a field check")


class Reading(models.Model):
    """The meter reading of one customer for one period, and the usage it gives.

    `usage_m3` is the consumption since the previous actual reading: after estimated months it
    covers `months_covered` months, which billing spreads evenly (the fair true-up). An
    estimated reading has no stand; its usage is the estimate.
    """

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="readings"
    )
    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="readings"
    )
    meter = models.ForeignKey(
        Meter, verbose_name=_("meter"), on_delete=models.PROTECT, related_name="readings"
    )
    stand = models.PositiveIntegerField(_("stand"), null=True, blank=True)
    previous_stand = models.PositiveIntegerField(_("previous stand"), null=True, blank=True)
    usage_m3 = models.PositiveIntegerField(_("usage (m³)"))
    months_covered = models.PositiveSmallIntegerField(_("months covered"), default=1)
    # Usage on a meter replaced during the period (old meter's final stand − its last stand).
    replaced_meter_usage_m3 = models.PositiveIntegerField(default=0)
    rollover = models.BooleanField(_("rollover"), default=False)
    estimated = models.BooleanField(_("estimated"), default=False)
    read_on = models.DateField(_("read on"))
    reader = models.CharField(_("reader"), max_length=60, blank=True)
    method = models.CharField(_("method"), max_length=16, choices=ReadingMethod.choices)
    anomaly = models.CharField(_("anomaly"), max_length=24, choices=Anomaly.choices, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ReadingStatus.choices, default=ReadingStatus.OK
    )
    photo = models.ImageField(_("photo"), upload_to="readings/%Y/%m/", blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["-period__month"]
        permissions = [
            ("verify_reading", _("Can verify flagged readings")),
            ("import_readings", _("Can import reading files")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer", "period"], name="one_reading_per_customer_period"),
            models.CheckConstraint(
                condition=Q(estimated=True) | Q(stand__isnull=False), name="reading_actual_has_stand"
            ),
            models.CheckConstraint(condition=Q(months_covered__gte=1), name="reading_covers_a_month"),
        ]
        indexes = [
            models.Index(fields=["period", "status"], name="reading_period_status_idx"),
            models.Index(fields=["customer", "-period"], name="reading_customer_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.period}: {self.usage_m3} m3"

    @property
    def flag_labels(self) -> list[str]:
        return [str(Flag(code).label) for code in self.flags]

    @property
    def monthly_usage_m3(self) -> int:
        return round(self.usage_m3 / self.months_covered)


class ReadingImport(models.Model):
    """A CSV file of readings uploaded for import, and what became of each of its rows.

    The file is kept (its SHA-256 tells a re-upload apart); `errors` lists the refused rows as
    ``{"line", "customer_number", "reason", "values"}`` (values: the row as uploaded) for the
    report and the CSV download.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    # The uploader's language: row reasons are written in it, even by a worker.
    language = models.CharField(_("language"), max_length=8, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    saved_rows = models.PositiveIntegerField(_("saved"), default=0)
    unchanged_rows = models.PositiveIntegerField(_("unchanged"), default=0)
    error_rows = models.PositiveIntegerField(_("refused"), default=0)
    errors = models.JSONField(_("refused rows"), default=list, blank=True)
    # The file's header (English names, in the file's order) and delimiter: the refused-rows
    # download gives each row back in the columns it came in.
    columns = models.JSONField(_("columns"), default=list, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, default=",")
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    failure = models.TextField(_("failure"), blank=True)

    class Meta:
        verbose_name = _("reading import")
        verbose_name_plural = _("reading imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return round(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
