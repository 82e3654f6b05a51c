"""Names shown to anonymous visitors: enough to confirm the right connection, not to learn who
lives there."""


def mask_name(name: str) -> str:
    """Mask a name, "Budi Santoso" → "B*** S******": each word's first letter, the rest as ``*``.

    Runs of spaces collapse to one; an empty or blank name gives "".
    """
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())


def mask_email(address: str) -> str:
    """Mask an e-mail address, "budi@gmail.com" → "b***@g***.com": the first letter of the name and
    of the domain, and the domain's last label. An empty or malformed address gives ""."""
    name, at, domain = (address or "").strip().rpartition("@")
    if not at or not name or not domain:
        return ""
    host, dot, tld = domain.rpartition(".")
    if not dot or not host:
        return f"{name[0]}***@{domain[0]}***"
    return f"{name[0]}***@{host[0]}***.{tld}"
