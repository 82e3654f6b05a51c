"""Late fees (denda) and their waivers (pemutihan).

- `LateFeeRule`: one version of the late-fee rule (aturan denda) for a golongan, a kelompok or
  every customer, in force from a date. Versions are never edited: a change is a new version.
- `LateFee`: one step of denda charged on one invoice (unique per invoice and step), with the
  rule it was computed from as a snapshot. Paid with its invoice (the payment allocation records
  the denda part) or waived; never edited, never deleted.
- `LateFeeWaiver`: a pemutihan, requested by one staff member and approved by another.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Kelompok


class LateFeeShape(models.TextChoices):
    FLAT = "flat", _("Flat amount per unpaid bill")
    STEPS = "steps", _("Growing with months late, up to a cap")
    PERCENT = "percent", _("Percentage of the unpaid bill")


class LateFeeRule(models.Model):
    """Aturan denda: how much denda an unpaid invoice of a golongan (or kelompok) gets.

    Scope: `tariff_class` set → that golongan; else `kelompok` set → every golongan of that
    kelompok; else every customer. The most specific scope with a version in force wins.

    Shapes:
    - flat: `amount` once per unpaid invoice;
    - steps: `step_totals[k-1]` is the total denda of an invoice k months late; the last entry
      is the cap (it holds for every later month). Totals replace each other, they do not add
      up: Pasaman's 2.500 / 5.000 / 7.500 / 10.000 is Rp 10.000 at most per invoice;
    - percent: `percent_bp` basis points of the invoice total (1000 = 10 %), rounded down to the
      Rupiah (in the customer's favour), once per unpaid invoice.

    Month 1 starts `start_days_after_due` days after the due date (1: the day after it); month k
    starts k-1 calendar months later.
    """

    tariff_class = models.ForeignKey(
        "customers.TariffClass",
        verbose_name=_("tariff class"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kelompok = models.CharField(_("tariff group"), max_length=8, choices=Kelompok.choices, blank=True)
    effective_from = models.DateField(_("effective from"))
    shape = models.CharField(_("shape"), max_length=8, choices=LateFeeShape.choices)
    start_days_after_due = models.PositiveSmallIntegerField(_("starts days after the due date"), default=1)
    amount = models.BigIntegerField(_("amount"), default=0)
    step_totals = models.JSONField(_("total by months late"), default=list, blank=True)
    percent_bp = models.PositiveIntegerField(_("percentage (basis points)"), default=0)
    decree = models.CharField(_("decree"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("late-fee rule")
        verbose_name_plural = _("late-fee rules")
        ordering = ["tariff_class__sort_order", "kelompok", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tariff_class__isnull=True) | Q(kelompok=""), name="late_fee_rule_one_scope"
            ),
            models.UniqueConstraint(
                fields=["tariff_class", "effective_from"],
                condition=Q(tariff_class__isnull=False),
                name="late_fee_rule_class_version",
            ),
            models.UniqueConstraint(
                fields=["kelompok", "effective_from"],
                condition=Q(tariff_class__isnull=True),
                name="late_fee_rule_group_version",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="late_fee_rule_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(start_days_after_due__gte=1), name="late_fee_rule_starts_after_due"
            ),
        ]
        permissions = [("manage_late_fees", "Can set late-fee rules")]

    def __str__(self) -> str:
        return f"{self.scope_label} {self.effective_from:%Y-%m-%d}"

    @property
    def percent_label(self) -> str:
        """``10 %``, ``2,5 %``: the percentage as the decree writes it."""
        whole, rest = divmod(self.percent_bp, 100)
        return f"{whole},{rest:02d}".rstrip("0").rstrip(",") + " %" if rest else f"{whole} %"

    @property
    def scope_label(self) -> str:
        if self.tariff_class_id:
            return str(self.tariff_class)
        if self.kelompok:
            return str(Kelompok(self.kelompok).label)
        return str(_("Every customer"))


class LateFee(models.Model):
    """Denda: one step of late fee charged on one invoice. `step` is the month late it belongs to
    (1 for flat and percentage rules); `amount` is what that step adds."""

    invoice = models.ForeignKey(
        "billing.Invoice",
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    step = models.PositiveSmallIntegerField(_("month late"))
    amount = models.BigIntegerField(_("amount"))
    rule = models.ForeignKey(LateFeeRule, on_delete=models.PROTECT, related_name="+", db_index=False)
    rule_snapshot = models.JSONField()
    assessed_on = models.DateField(_("charged on"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    waiver = models.ForeignKey(
        "LateFeeWaiver", on_delete=models.PROTECT, null=True, blank=True, related_name="fees"
    )

    class Meta:
        verbose_name = _("late fee")
        verbose_name_plural = _("late fees")
        ordering = ["invoice_id", "step"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "step"], name="late_fee_once_per_step"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="late_fee_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}#{self.step}: {self.amount}"


class WaiverState(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class LateFeeWaiver(models.Model):
    """Pemutihan: denda on unpaid invoices waived, for one customer or by filter (period,
    golongan, zone), with a reason; requested by one person and approved by another. Approval
    waives the denda charged so far on the invoices it covers that are still unpaid."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    period = models.ForeignKey(
        "meters.Period",
        verbose_name=_("period"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    tariff_class = models.ForeignKey(
        "customers.TariffClass",
        verbose_name=_("tariff class"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    zone = models.ForeignKey(
        "customers.Zone",
        verbose_name=_("zone"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=16, choices=WaiverState.choices, default=WaiverState.REQUESTED
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
    decision_note = models.TextField(_("note"), blank=True)
    # Filled in on approval: what it waived.
    fees_waived = models.PositiveIntegerField(_("fees waived"), default=0)
    amount_waived = models.BigIntegerField(_("amount waived"), default=0)

    class Meta:
        verbose_name = _("late-fee waiver")
        verbose_name_plural = _("late-fee waivers")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False)
                | Q(period__isnull=False)
                | Q(tariff_class__isnull=False)
                | Q(zone__isnull=False),
                name="late_fee_waiver_has_a_filter",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="late_fee_waiver_two_people",
            ),
        ]
        permissions = [
            ("request_waiver", "Can request a late-fee waiver"),
            ("approve_waiver", "Can approve a late-fee waiver"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.get_state_display()}"
