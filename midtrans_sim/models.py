"""What the simulated Midtrans remembers: Snap orders, their transactions, notifications, faults.

State lives in the database, not in memory, so the simulator behaves the same under runserver
threads, several gunicorn workers and pytest-django's ``live_server``.

The simulator is a developer tool: its strings are deliberately plain (no gettext), so that they
stay out of the portal's translation catalogue.
"""

import uuid

from django.db import models


class TransactionStatus(models.TextChoices):
    """Midtrans ``transaction_status`` values."""

    PENDING = "pending"
    CAPTURE = "capture"
    SETTLEMENT = "settlement"
    DENY = "deny"
    CANCEL = "cancel"
    EXPIRE = "expire"
    REFUND = "refund"
    PARTIAL_REFUND = "partial_refund"
    CHARGEBACK = "chargeback"


class SimTransaction(models.Model):
    """A Snap order and, once the customer picks a payment method, its Midtrans transaction.

    Until a method is picked Midtrans knows only the Snap token: its status API answers 404.
    """

    order_id = models.CharField(max_length=50, unique=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    gross_amount = models.BigIntegerField()
    items = models.JSONField(default=list, blank=True)
    customer_details = models.JSONField(default=dict, blank=True)
    enabled_payments = models.JSONField(default=list, blank=True)
    finish_url = models.URLField(max_length=1000, blank=True)
    # Resolved at Snap create time (X-Override-Notification, or the default plus
    # X-Append-Notification): where every notification of this order goes.
    notification_urls = models.JSONField(default=list, blank=True)
    request_body = models.JSONField(default=dict, blank=True)
    expiry_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    # Set when the customer picks a method (the Midtrans transaction comes into being).
    method = models.CharField(max_length=20, blank=True)
    transaction_id = models.UUIDField(null=True, blank=True, unique=True)
    transaction_status = models.CharField(max_length=20, choices=TransactionStatus.choices, blank=True)
    fraud_status = models.CharField(max_length=20, blank=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    settlement_time = models.DateTimeField(null=True, blank=True)
    # VA number, bill key, payment code, masked card… fixed when the method is picked.
    method_details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "simulated Midtrans transaction"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(gross_amount__gt=0), name="sim_gross_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} ({self.transaction_status or 'no method yet'})"

    @property
    def method_picked(self) -> bool:
        return bool(self.transaction_status)


class SimNotification(models.Model):
    """One HTTP notification the simulator posted, with what the receiver answered."""

    transaction = models.ForeignKey(SimTransaction, on_delete=models.CASCADE, related_name="notifications")
    url = models.URLField(max_length=1000)
    # The exact body sent: the signature covers its strings.
    body = models.TextField()
    transaction_status = models.CharField(max_length=20)
    status_code = models.CharField(max_length=3)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "simulated Midtrans notification"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.transaction_status} → {self.url}: {self.response_status or self.error}"

    @property
    def delivered(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300


class FaultEndpoint(models.TextChoices):
    SNAP_CREATE = "snap_create"
    STATUS = "status"


class FaultBehaviour(models.TextChoices):
    # Sleep past the client's timeout, then answer normally (the order does exist afterwards).
    TIMEOUT = "timeout"
    # HTTP 500 with Midtrans's JSON error body.
    ERROR500 = "error500"
    # A load balancer's HTML error page, HTTP 502.
    HTML = "html"
    # An HTML page with HTTP 200 (captive portal, misrouted proxy).
    HTML200 = "html200"


class SimFault(models.Model):
    """A one-shot misbehaviour armed for the next call to an endpoint."""

    endpoint = models.CharField(max_length=20, choices=FaultEndpoint.choices)
    behaviour = models.CharField(max_length=20, choices=FaultBehaviour.choices)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "simulated Midtrans fault"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.endpoint}: {self.behaviour}"
