from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import TariffClass
from meters.models import MeterSize

# Tax rates are basis points: 1100 = 11 %. Piped water is exempt from PPN (PP 49/2022), so 0.
MAX_RATE_BP = 10_000


class TariffVersion(models.Model):
    """The prices of one golongan from a month on (a tariff decree, tarif air minum).

    A version is never edited once created: history is kept, and a bill always uses the version
    in force for its period. A new decree is a new version.
    """

    tariff_class = models.ForeignKey(
        TariffClass,
        verbose_name=_("tariff class"),
        on_delete=models.PROTECT,
        related_name="tariff_versions",
    )
    # Always the first day of a month (checked by the service: not every database can).
    effective_from = models.DateField(_("effective from"))
    minimum_usage_m3 = models.PositiveIntegerField(
        _("minimum usage (m³)"),
        default=10,
        help_text=_("Billed even when the usage is lower."),
    )
    water_tax_rate_bp = models.PositiveIntegerField(
        _("tax on water (basis points)"),
        default=0,
        help_text=_("100 basis points = 1 %. Piped drinking water is exempt from VAT: 0."),
    )
    decree = models.CharField(_("decree"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("tariff version")
        verbose_name_plural = _("tariff versions")
        ordering = ["tariff_class", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff_class", "effective_from"], name="tariff_version_one_per_class_month"
            ),
            models.CheckConstraint(
                condition=Q(water_tax_rate_bp__lte=MAX_RATE_BP), name="tariff_version_tax_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tariff_class.code} {self.effective_from:%Y-%m}"


class TariffBlock(models.Model):
    """A progressive block: every m³ from `from_m3` to `to_m3` (inclusive) costs `price_per_m3`.

    Blocks count m³ from 1: 1–10, 11–20, 21–30, 31–∞. The last block has no upper limit.
    """

    version = models.ForeignKey(
        TariffVersion, verbose_name=_("tariff version"), on_delete=models.CASCADE, related_name="blocks"
    )
    from_m3 = models.PositiveIntegerField(_("from (m³)"))
    to_m3 = models.PositiveIntegerField(_("to (m³)"), null=True, blank=True, help_text=_("Empty: no limit."))
    price_per_m3 = models.PositiveIntegerField(_("price per m³ (Rp)"))

    class Meta:
        verbose_name = _("tariff block")
        verbose_name_plural = _("tariff blocks")
        ordering = ["version", "from_m3"]
        constraints = [
            models.UniqueConstraint(fields=["version", "from_m3"], name="tariff_block_one_per_start"),
            models.CheckConstraint(condition=Q(from_m3__gte=1), name="tariff_block_counts_from_1"),
            models.CheckConstraint(
                condition=Q(to_m3__isnull=True) | Q(to_m3__gte=F("from_m3")), name="tariff_block_bounds"
            ),
            models.CheckConstraint(condition=Q(price_per_m3__gt=0), name="tariff_block_price_positive"),
        ]

    def __str__(self) -> str:
        upper = self.to_m3 if self.to_m3 is not None else "∞"
        return f"{self.from_m3}–{upper} m³: {self.price_per_m3}"


class FixedChargeKind(models.TextChoices):
    """Beban tetap: the monthly charges that do not depend on usage."""

    ADMINISTRATION = "administration", _("Administration fee")
    METER_MAINTENANCE = "meter_maintenance", _("Meter maintenance")
    OTHER = "other", _("Other charge")


class FixedCharge(models.Model):
    """A monthly charge of a tariff version, for every meter size or for one."""

    version = models.ForeignKey(
        TariffVersion,
        verbose_name=_("tariff version"),
        on_delete=models.CASCADE,
        related_name="fixed_charges",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FixedChargeKind.choices)
    # Blank: the kind's name is shown.
    label = models.CharField(_("label"), max_length=100, blank=True)
    amount = models.PositiveBigIntegerField(_("amount (Rp)"))
    meter_size = models.CharField(
        _("meter size"),
        max_length=8,
        choices=MeterSize.choices,
        blank=True,
        help_text=_("Empty: every meter size."),
    )
    tax_rate_bp = models.PositiveIntegerField(_("tax rate (basis points)"), default=0)

    class Meta:
        verbose_name = _("fixed charge")
        verbose_name_plural = _("fixed charges")
        ordering = ["version", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tax_rate_bp__lte=MAX_RATE_BP), name="fixed_charge_tax_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return self.display_label

    @property
    def display_label(self) -> str:
        return self.label or str(self.get_kind_display())


class BillRunState(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BillRun(models.Model):
    """One run of the bill run for a period: the main run, or a supplementary one for
    customers held back earlier. Split into chunks (one per route) that any worker can take."""

    period = models.ForeignKey(
        "meters.Period", verbose_name=_("period"), on_delete=models.PROTECT, related_name="+"
    )
    supplementary = models.BooleanField(_("supplementary"), default=False)
    state = models.CharField(
        _("state"), max_length=16, choices=BillRunState.choices, default=BillRunState.RUNNING
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(_("issued"), default=0)
    estimated = models.PositiveIntegerField(_("estimated"), default=0)
    held = models.PositiveIntegerField(_("held"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    total_amount = models.BigIntegerField(_("total"), default=0)

    class Meta:
        verbose_name = _("bill run")
        verbose_name_plural = _("bill runs")
        ordering = ["-started_at", "-id"]
        permissions = [("run_billing", _("Can run billing and close periods"))]
        constraints = [
            # Two runs started at once for the same period cannot both proceed.
            models.UniqueConstraint(
                fields=["period"], condition=Q(state="running"), name="one_running_bill_run_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.state}"

    @property
    def percent(self) -> int:
        return 100 if not self.chunks_total else round(100 * self.chunks_done / self.chunks_total)


class ChunkState(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")


class BillRunChunk(models.Model):
    bill_run = models.ForeignKey(BillRun, on_delete=models.CASCADE, related_name="chunks")
    route = models.ForeignKey("customers.Route", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=ChunkState.choices, default=ChunkState.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    estimated = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    total_amount = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bill_run", "route"], name="one_chunk_per_route")]
        indexes = [models.Index(fields=["bill_run", "state"], name="chunk_run_state_idx")]

    def __str__(self) -> str:
        return f"{self.bill_run_id}/{self.route_id} {self.state}"


class HeldCustomer(models.Model):
    """A customer a bill run did not bill, and why (flagged reading, no meter, or a supervisor
    holding an outlier back for a look).

    A supervisor's hold (``held_by`` set) holds the customer in every run of the period until it
    is released; the other reasons are the run's own findings and end with their cause.
    """

    bill_run = models.ForeignKey(BillRun, on_delete=models.CASCADE, related_name="held_customers")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bill_run", "customer"], name="held_once_per_run")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.reason}"


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    CANCELLED = "cancelled", _("Cancelled")


class Invoice(models.Model):
    """Rekening: one customer's bill for one period. Never edited once issued: a correction
    cancels it and issues a replacement, linked both ways. What is paid lives in payments."""

    number = models.CharField(_("invoice number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="invoices",
        db_index=False,  # (customer, period) below
    )
    # Invoices are written a million at a time: only the indexes that queries use, composite
    # ones covering the foreign keys (see Meta.indexes), none per foreign key.
    period = models.ForeignKey(
        "meters.Period", verbose_name=_("period"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reading = models.ForeignKey(
        "meters.Reading",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        db_index=False,
    )
    tariff_version = models.ForeignKey(
        TariffVersion, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    tariff_class = models.ForeignKey(TariffClass, on_delete=models.PROTECT, related_name="+", db_index=False)
    route = models.ForeignKey("customers.Route", on_delete=models.PROTECT, related_name="+", db_index=False)
    meter_size = models.CharField(max_length=8, blank=True)
    previous_stand = models.PositiveIntegerField(null=True, blank=True)
    current_stand = models.PositiveIntegerField(null=True, blank=True)
    usage_m3 = models.PositiveIntegerField(_("usage (m³)"), default=0)
    billed_usage_m3 = models.PositiveIntegerField(_("billed usage (m³)"), default=0)
    estimated = models.BooleanField(_("estimated"), default=False)
    fixed_only = models.BooleanField(default=False)
    total = models.BigIntegerField(_("total"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    bill_run = models.ForeignKey(
        BillRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-period__month", "customer__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "period"],
                condition=Q(status="issued"),
                name="one_issued_invoice_per_period",
            ),
            # A true-up crediting more than the month's charges carries the rest to the
            # customer's credit (billing.tariffs.lines_finalized): no invoice is below zero.
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
        ]
        indexes = [
            models.Index(fields=["customer", "period"], name="invoice_customer_period_idx"),
            models.Index(fields=["period", "status"], name="invoice_period_status_idx"),
            models.Index(fields=["route", "period"], name="invoice_route_period_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class LineKind(models.TextChoices):
    WATER_BLOCK = "water_block", _("Water")
    MINIMUM_TOPUP = "minimum_topup", _("Minimum usage top-up")
    FIXED = "fixed", _("Fixed charge")
    ADJUSTMENT = "adjustment", _("Adjustment")
    TO_CREDIT = "to_credit", _("Carried to credit")
    CATCH_UP = "catch_up", _("Catch-up")  # a held month's water billed late (billing.closing)


class InvoiceLine(models.Model):
    # The unique (invoice, position) index serves every lookup by invoice.
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", db_index=False)
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=LineKind.choices)
    description = models.CharField(max_length=200)
    quantity_m3 = models.IntegerField(null=True, blank=True)
    unit_price = models.BigIntegerField()
    amount = models.BigIntegerField()  # negative for a credit (a true-up in the customer's favour)
    tax_rate_bp = models.PositiveIntegerField(default=0)
    tax_amount = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["invoice_id", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position")]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"

    @property
    def total(self) -> int:
        return self.amount + self.tax_amount


class CorrectionKind(models.TextChoices):
    NEW_READING = "new_reading", _("New meter reading")
    OTHER = "other", _("Other (tariff class, meter size, data error)")


class CorrectionState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class InvoiceCorrection(models.Model):
    """Koreksi rekening: a request to cancel an issued invoice and issue a replacement.

    Requested by CS staff or a supervisor with a reason, decided by a supervisor; an approval
    needs a second person (four eyes). On approval the original is cancelled and linked to its
    replacement, and `difference` (replacement total − what was paid on the original) is what
    payments turns into an amount due (positive) or a customer credit (negative).
    """

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="corrections"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CorrectionKind.choices)
    proposed_stand = models.PositiveIntegerField(_("proposed stand"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=16, choices=CorrectionState.choices, default=CorrectionState.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    replacement = models.OneToOneField(
        Invoice,
        verbose_name=_("replacement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_by_correction",
    )
    # An older month's new stand changes the next month's usage: that month's invoice is
    # replaced in the same approval, and linked here (the chain shown on both invoices).
    carried_replacement = models.OneToOneField(
        Invoice,
        verbose_name=_("carried to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_by_correction",
    )
    # Known once approved: what payments reported paid on the original, and what is left.
    paid_before = models.BigIntegerField(_("paid before"), null=True, blank=True)
    difference = models.BigIntegerField(_("difference"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice correction")
        verbose_name_plural = _("invoice corrections")
        ordering = ["-requested_at", "-id"]
        permissions = [("approve_invoicecorrection", _("Can approve or reject invoice corrections"))]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(state="pending"), name="one_pending_correction_per_invoice"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="correction_has_reason"),
            models.CheckConstraint(
                condition=Q(kind="new_reading", proposed_stand__isnull=False)
                | Q(kind="other", proposed_stand__isnull=True),
                name="correction_stand_with_new_reading",
            ),
            models.CheckConstraint(
                condition=Q(state="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(state="pending") & Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="correction_decided_when_not_pending",
            ),
            models.CheckConstraint(
                condition=Q(
                    state="approved",
                    replacement__isnull=False,
                    paid_before__isnull=False,
                    paid_before__gte=0,
                    difference__isnull=False,
                )
                | (
                    ~Q(state="approved")
                    & Q(replacement__isnull=True, paid_before__isnull=True, difference__isnull=True)
                ),
                name="correction_approved_has_replacement",
            ),
            # Four eyes: whoever approves is not whoever asked.
            models.CheckConstraint(
                condition=~Q(state="approved") | ~Q(decided_by=F("requested_by")),
                name="correction_four_eyes",
            ),
        ]
        indexes = [models.Index(fields=["state", "requested_at"], name="correction_queue_idx")]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.get_kind_display()} ({self.state})"


class CatchUp(models.Model):
    """Susulan pemakaian: the water of a month whose reading was held when the month was billed
    (billed as an estimate at close, or not at all), charged on a later invoice once the reading
    is resolved, at that month's own tariff (see `billing.closing`). One row per reading, so a
    month is caught up once; `amount` may be 0 (the estimate was right) or negative (a credit).
    """

    reading = models.OneToOneField("meters.Reading", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="catch_ups")
    month = models.DateField(_("month"))
    usage_m3 = models.PositiveIntegerField(_("usage (m3)"))
    billed_usage_m3 = models.PositiveIntegerField(_("billed usage (m3)"))
    amount = models.BigIntegerField(_("amount"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("catch-up")
        verbose_name_plural = _("catch-ups")
        ordering = ["month", "id"]

    def __str__(self) -> str:
        return f"{self.reading_id} {self.month:%Y-%m}: {self.amount}"
