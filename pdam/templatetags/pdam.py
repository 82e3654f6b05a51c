from django import template

from pdam.money import format_rupiah
from pdam.roles import user_role

register = template.Library()


@register.filter
def rupiah(amount: int | None) -> str:
    """``{{ invoice.total|rupiah }}`` → ``Rp 1.234.567``. The one place money is formatted."""
    return format_rupiah(amount)


@register.filter
def rupiah_negative(amount: int | None) -> str:
    """An amount taken off, shown negative: ``{{ 1234|rupiah_negative }}`` → ``-Rp 1.234``.

    Nothing taken off is ``Rp 0``: a template writing ``-{{ x|rupiah }}`` would show ``-Rp 0``.
    """
    return format_rupiah(None if amount is None else -amount)


@register.simple_tag
def role_of(user) -> str:
    role = user_role(user)
    return role.value if role else ""
