"""Names shown to anonymous visitors: enough to confirm the right connection, not to learn who
lives there."""


def mask_name(name: str) -> str:
    """Mask a name, "Budi Santoso" → "B*** S******": each word's first letter, the rest as ``*``.

    Runs of spaces collapse to one; an empty or blank name gives "".
    """
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())
