"""Writing to the outbox: queueing (idempotent), sending (claimed batches, retries, rate limit)
and delivery status (never backwards)."""

import dataclasses
import datetime
import logging
import zlib
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from pdam.messaging.models import Message, MessageChannel, MessageKind, MessageState
from pdam.messaging.providers import Outgoing, PermanentError, TransientError, provider_for
from pdam.messaging.rendering import message_render

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Recipient:
    """Where a message goes: a channel and an address on it (e-mail, or phone as 62…)."""

    channel: str
    address: str
    name: str = ""


@dataclasses.dataclass(frozen=True)
class Draft:
    """One message to queue in bulk (`messages_queue_many`)."""

    recipient: Recipient
    template: str
    context: dict
    key: str
    kind: str = MessageKind.INFORMATIONAL
    language: str = ""


def phone_international(phone: str) -> str:
    """An Indonesian phone number as WhatsApp and SMS gateways take it: digits only, from 62
    (``0812-3456-7890`` → ``6281234567890``); "" when it is not a phone number."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    return digits if 9 <= len(digits) <= 15 else ""


def _row(draft: Draft) -> Message:
    if draft.recipient.channel not in MessageChannel.values:
        raise ValueError(f"Unknown channel {draft.recipient.channel!r}")
    if not draft.key:
        raise ValueError("A message needs an idempotency key")
    return Message(
        key=draft.key[:120],
        channel=draft.recipient.channel,
        recipient=draft.recipient.address,
        recipient_name=draft.recipient.name[:160],
        template=draft.template,
        context=draft.context,
        language=draft.language or settings.LANGUAGE_CODE,
        kind=draft.kind,
    )


def _send_soon() -> None:
    """After the commit, ask a worker to send (eagerly in the quick start and the tests)."""
    from pdam.tasks import messages_send

    transaction.on_commit(messages_send.delay)


def message_queue(
    *,
    recipient: Recipient,
    template: str,
    context: dict,
    key: str,
    kind: str = MessageKind.INFORMATIONAL,
    language: str = "",
    secret: bool = False,
) -> tuple[Message, bool]:
    """Queue one message unless one with the same `key` exists; returns (message, created).

    Safe under races: the unique key decides, and the loser gets the winner's row.
    """
    row = _row(Draft(recipient, template, context, key, kind, language))
    row.secret = secret
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return Message.objects.get(key=row.key), False
    _send_soon()
    return row, True


def messages_queue_many(*, drafts: Iterable[Draft], batch_size: int = 2000) -> int:
    """Queue many messages at once; keys already queued are skipped. Returns how many were new."""
    rows = [_row(draft) for draft in drafts]
    created = 0
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        keys = [row.key for row in batch]
        with transaction.atomic():
            before = Message.objects.filter(key__in=keys).count()
            Message.objects.bulk_create(batch, ignore_conflicts=True)
            created += Message.objects.filter(key__in=keys).count() - before
    if created:
        _send_soon()
    return created


# --- Sending -------------------------------------------------------------------------------------


@dataclasses.dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: "SendResult") -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed


def _claimable(now: datetime.datetime) -> Q:
    stale = now - datetime.timedelta(seconds=settings.MESSAGING_CLAIM_STALE_SECONDS)
    return Q(state=MessageState.QUEUED, next_attempt_at__lte=now) | Q(
        state=MessageState.SENDING, claimed_at__lt=stale
    )


def _rate_lock(channel: str) -> None:
    """Serialise counting and claiming per channel, so workers together keep to the rate."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"messages:{channel}".encode())])
    # SQLite: IMMEDIATE transactions already take the database's write lock.


def messages_claim(*, channel: str, limit: int, now: datetime.datetime | None = None) -> list[int]:
    """Take up to `limit` messages of `channel` that are due (or whose worker died), within the
    channel's rate per minute. Any number of workers may call it: each row goes to one."""
    now = now or timezone.now()
    with transaction.atomic():
        rate = settings.MESSAGING_RATE_PER_MINUTE.get(channel, 0)
        if rate:
            _rate_lock(channel)
            recent = Message.objects.filter(
                channel=channel, claimed_at__gt=now - datetime.timedelta(minutes=1)
            ).count()
            limit = min(limit, rate - recent)
        if limit <= 0:
            return []
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(_claimable(now), channel=channel)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        # The condition again: a conditional UPDATE is the claim where FOR UPDATE is not (SQLite).
        Message.objects.filter(_claimable(now), pk__in=ids).update(
            state=MessageState.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        return list(
            Message.objects.filter(pk__in=ids, state=MessageState.SENDING, claimed_at=now).values_list(
                "id", flat=True
            )
        )


def _retry_delay(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.MESSAGING_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))


def _send_one(message: Message) -> SendResult:
    now = timezone.now()
    mine = Message.objects.filter(pk=message.pk, state=MessageState.SENDING, attempts=message.attempts)
    try:
        rendered = message_render(
            template=message.template,
            context=message.context,
            language=message.language,
            channel=message.channel,
        )
        provider_id = provider_for(message.channel).send(
            Outgoing(
                message_id=message.pk,
                channel=message.channel,
                recipient=message.recipient,
                language=message.language,
                template=message.template,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                parameters=rendered.parameters,
            )
        )
    except PermanentError as error:
        mine.update(state=MessageState.FAILED, failed_at=now, last_error=str(error)[:2000])
        return SendResult(failed=1)
    except Exception as error:  # a provider that is down (or a bug) leaves the message queued, never lost
        if not isinstance(error, TransientError):
            logger.exception("message %s: unexpected error while sending", message.pk)
        if message.attempts >= settings.MESSAGING_MAX_ATTEMPTS:
            mine.update(state=MessageState.FAILED, failed_at=now, last_error=str(error)[:2000])
            return SendResult(failed=1)
        mine.update(
            state=MessageState.QUEUED,
            next_attempt_at=now + _retry_delay(message.attempts),
            last_error=str(error)[:2000],
        )
        return SendResult(retried=1)
    sent = {"subject": rendered.subject, "body": rendered.text}
    if message.secret:
        sent = {"subject": "", "body": "", "context": {}}  # the code is not kept anywhere
    mine.update(state=MessageState.SENT, sent_at=now, provider_id=provider_id[:128], last_error="", **sent)
    return SendResult(sent=1)


def messages_send_batch(*, channel: str, limit: int | None = None) -> SendResult:
    """Claim and send one batch of `channel`."""
    ids = messages_claim(channel=channel, limit=limit or settings.MESSAGING_BATCH_SIZE)
    result = SendResult()
    for message in Message.objects.filter(pk__in=ids).order_by("id"):
        result.add(_send_one(message))
    return result


def messages_send(*, max_batches: int = 50) -> SendResult:
    """Send what is due on every available channel, batch after batch, until nothing is claimed
    (or the rate limit or `max_batches` stops it)."""
    from pdam.messaging.providers import channel_available

    result = SendResult()
    for channel in MessageChannel.values:
        if not channel_available(channel):
            continue
        for _ in range(max_batches):
            batch = messages_send_batch(channel=channel)
            result.add(batch)
            if not (batch.sent or batch.retried or batch.failed):
                break
    return result


# --- Delivery status ----------------------------------------------------------------------------

# What a status callback may move a message to, and from where: forwards only.
_FORWARD = {
    MessageState.DELIVERED: [MessageState.SENDING, MessageState.SENT],
    MessageState.READ: [MessageState.SENDING, MessageState.SENT, MessageState.DELIVERED],
    MessageState.FAILED: [MessageState.SENDING, MessageState.SENT],
}
_STAMP = {
    MessageState.DELIVERED: "delivered_at",
    MessageState.READ: "read_at",
    MessageState.FAILED: "failed_at",
}


def message_status_apply(
    *, provider_id: str, status: str, at: datetime.datetime | None = None, error: str = ""
) -> bool:
    """Record a provider's delivery status. Idempotent: a replay or a status older than what is
    known changes nothing. Returns whether the message moved."""
    if status not in _FORWARD or not provider_id:
        return False
    at = at or timezone.now()
    changes: dict = {"state": status, _STAMP[status]: at}
    if status == MessageState.READ:
        # Read implies delivered; keep the earlier delivery time when there is one.
        changes["delivered_at"] = Coalesce(F("delivered_at"), Value(at))
    if error:
        changes["last_error"] = error[:2000]
    return bool(Message.objects.filter(provider_id=provider_id, state__in=_FORWARD[status]).update(**changes))
