"""Who owns a money transaction.

An entry point that moves money (the cashier desk, a void, a refund, a status from Midtrans, the
nightly credit settlement) opens `transaction.atomic(durable=True)`: it is the outermost block,
so when it returns the money is committed, and no caller can wrap it in a transaction that
rolls it back later or holds its locks across a network call. The steps it is built from lock
rows that the entry point's transaction must hold, so they refuse to run outside one.
"""

from django.db import transaction


class NotInTransaction(RuntimeError):
    pass


def require_atomic(step: str) -> None:
    """Refuse to run `step` outside a transaction: its locks would be released at once."""
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction(f"{step} moves money and must run inside its caller's transaction")
