"""Money is an integer number of Rupiah everywhere: no floats, no sen."""


def format_rupiah(amount: int | None) -> str:
    """Format Rupiah the Indonesian way: ``Rp 1.234.567``; negative amounts as ``-Rp 1.234``."""
    if amount is None:
        return ""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"Rupiah amounts are integers, got {type(amount).__name__}")
    sign = "-" if amount < 0 else ""
    grouped = f"{abs(amount):,}".replace(",", ".")
    return f"{sign}Rp {grouped}"
