from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.codes import registration_code_display, registration_code_new

customer_number_validator = RegexValidator(r"^\d{6,12}$", _("A customer number has 6 to 12 digits."))


class Zone(models.Model):
    """Wilayah / cabang: a service area with its own routes."""

    # Two digits: the zone's customer numbers start with it.
    code = models.CharField(
        _("code"),
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^\d{2}$", _("A zone code has two digits."))],
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Route(models.Model):
    """A reading route (rute baca meter): customers in walking order."""

    zone = models.ForeignKey(Zone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="routes")
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Kelompok(models.TextChoices):
    """The tariff group a golongan belongs to."""

    I = "I", _("Group I (social, low income)")  # noqa: E741 - the official name
    II = "II", _("Group II (households, small business, government)")
    III = "III", _("Group III (large business, industry)")
    KHUSUS = "KHUSUS", _("Special (by contract)")


class TariffClass(models.Model):
    """Golongan: a customer's tariff class. The prices for it live in billing."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kelompok = models.CharField(_("tariff group"), max_length=8, choices=Kelompok.choices)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("tariff class")
        verbose_name_plural = _("tariff classes")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SEALED = "sealed", _("Sealed")  # segel: temporarily disconnected
    DISCONNECTED = "disconnected", _("Disconnected")  # cabut: meter removed
    CLOSED = "closed", _("Closed")


class MessageChannelChoice(models.TextChoices):
    """How the customer wants to hear from the utility (the outbox's channels)."""

    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Customer(models.Model):
    """A connection (sambungan) and the person or business it serves."""

    number = models.CharField(
        _("customer number"), max_length=12, unique=True, validators=[customer_number_validator]
    )
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=255)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    # Contact preferences: the channel messages go to first (another one is used when it has no
    # address), and an opt-out of informational messages (legal notices are always sent).
    message_channel = models.CharField(
        _("messages by"),
        max_length=16,
        choices=MessageChannelChoice.choices,
        default=MessageChannelChoice.WHATSAPP,
    )
    messages_opt_out = models.BooleanField(_("no informational messages"), default=False)
    # The zone is the route's: a customer moves zone by moving route.
    route = models.ForeignKey(
        Route, verbose_name=_("route"), on_delete=models.PROTECT, related_name="customers"
    )
    route_sequence = models.PositiveIntegerField(_("walking order"))
    tariff_class = models.ForeignKey(
        TariffClass, verbose_name=_("tariff class"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    connected_on = models.DateField(_("connection date"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="connections",
    )
    # The secret printed on the connection's bills that proves it when linking a portal account.
    registration_code = models.CharField(
        _("registration code"), max_length=10, default=registration_code_new, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["number"]
        permissions = [
            ("change_customer_status", _("Can change a customer's connection status")),
            ("view_registry_report", _("Can view customer registry reports")),
        ]
        indexes = [
            models.Index(fields=["route", "route_sequence"], name="customer_walk_idx"),
        ]
        # Name and address trigram indexes (PostgreSQL only) are created in migration 0002.

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def registration_code_grouped(self) -> str:
        """The registration code as printed: ``ABCDE-FGHJK``."""
        return registration_code_display(self.registration_code)


class CustomerStatusChange(models.Model):
    """The dated history of a customer's status, with the reason."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=16, choices=CustomerStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=CustomerStatus.choices)
    effective_on = models.DateField(_("effective date"))
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-effective_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=models.F("to_status")), name="status_change_changes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_status} → {self.to_status} ({self.effective_on})"
