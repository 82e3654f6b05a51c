from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")


class MessageKind(models.TextChoices):
    """Why a message is sent, which decides whether the customer's opt-out applies."""

    INFORMATIONAL = "informational", _("Informational")  # invoices, receipts, notices: opt-out applies
    SERVICE = "service", _("Service")  # one-time codes the customer asked for
    LEGAL = "legal", _("Legal notice")  # warning letters, disconnection: always sent, kept as evidence


class MessageState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    """One message to one recipient, sent at most once per `key` (the idempotency key)."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=MessageChannel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    # Who the recipient is, as the app that queued it names them (e.g. "01000123 Budi Santoso").
    recipient_name = models.CharField(_("who"), max_length=160, blank=True)
    template = models.CharField(_("template"), max_length=64)
    context = models.JSONField(_("context"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8, default="id")
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    # A secret (a one-time code) is never kept: context and text are emptied once sent.
    secret = models.BooleanField(default=False)
    state = models.CharField(
        _("state"), max_length=16, choices=MessageState.choices, default=MessageState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # What was sent, as rendered at the time (evidence for legal notices).
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    provider_id = models.CharField(_("provider id"), max_length=128, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The workers' queue: only rows still waiting are indexed.
            models.Index(
                fields=["channel", "next_attempt_at"],
                name="message_queue_idx",
                condition=Q(state__in=["queued", "sending"]),
            ),
            # The rate limit counts each channel's recent claims.
            models.Index(fields=["channel", "claimed_at"], name="message_claimed_idx"),
            models.Index(fields=["provider_id"], name="message_provider_idx", condition=~Q(provider_id="")),
            models.Index(fields=["state", "-created_at"], name="message_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(key=""), name="message_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient} {self.template} ({self.state})"
