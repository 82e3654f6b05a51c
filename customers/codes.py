"""Registration codes (kode registrasi): the secret printed on a connection's bills that proves
the connection to the portal. Random, unguessable, easy to type from paper."""

import hmac
import re
import secrets

# No 0/O, 1/I/L, so a code read off paper is typed right.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10  # 31**10 ≈ 8·10^14 codes


def registration_code_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def registration_code_normalize(value: str) -> str:
    """What the customer typed, without spaces or dashes, upper case."""
    return re.sub(r"[\s\-.]", "", value or "").upper()


def registration_code_display(code: str) -> str:
    """Grouped for paper: ``ABCDE-FGHJK``."""
    return f"{code[:5]}-{code[5:]}" if code else ""


def registration_code_matches(stored: str, typed: str) -> bool:
    """Constant-time comparison of a typed code with the stored one."""
    typed = registration_code_normalize(typed)
    return bool(stored) and hmac.compare_digest(stored.encode(), typed.encode())
