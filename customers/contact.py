"""Where the utility's messages reach a customer, by the customer's contact preferences.

The outbox (a kernel service) knows no customers: this builds the `Recipient` the apps hand it.
"""

from customers.models import Customer
from pdam.messaging.models import MessageChannel, MessageKind
from pdam.messaging.providers import channel_available
from pdam.messaging.services import Recipient, phone_international

_ORDER = [MessageChannel.WHATSAPP, MessageChannel.EMAIL, MessageChannel.SMS]


def customer_address(customer: Customer, channel: str) -> str:
    if channel == MessageChannel.EMAIL:
        return customer.email.strip()
    return phone_international(customer.phone)


def customer_recipient(customer: Customer, *, kind: str) -> Recipient | None:
    """The customer's chosen channel, else the first other one with an address; None when the
    customer opted out of informational messages or can be reached on no channel the utility
    runs. Legal notices ignore the opt-out."""
    if kind == MessageKind.INFORMATIONAL and customer.messages_opt_out:
        return None
    for channel in [customer.message_channel, *(c for c in _ORDER if c != customer.message_channel)]:
        if not channel_available(channel):
            continue
        address = customer_address(customer, channel)
        if address:
            return Recipient(channel=channel, address=address, name=f"{customer.number} {customer.name}")
    return None
