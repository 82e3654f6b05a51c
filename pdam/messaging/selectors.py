"""Reading the outbox."""

from django.db.models import QuerySet

from pdam.messaging.models import Message


def messages_outbox(*, state: str = "", channel: str = "", query: str = "") -> QuerySet[Message]:
    messages = Message.objects.all()
    if state:
        messages = messages.filter(state=state)
    if channel:
        messages = messages.filter(channel=channel)
    if query:
        messages = messages.filter(recipient_name__icontains=query) | messages.filter(
            recipient__icontains=query
        )
    return messages.order_by("-created_at", "-id")
