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
