"""Extension points for the apps to the right of customers (meters, billing, payments, arrears).

An app cannot be imported by the apps to its left, so a later app that wants to add a section
to the customer page registers it here in its ``AppConfig.ready``.
"""

from collections.abc import Callable

from django.http import HttpRequest

from customers.models import Customer

# (request, customer) -> (template name, context) or None when the section does not apply.
CustomerSection = Callable[[HttpRequest, Customer], tuple[str, dict] | None]

_customer_sections: list[CustomerSection] = []


def register_customer_section(section: CustomerSection) -> CustomerSection:
    if section not in _customer_sections:
        _customer_sections.append(section)
    return section


def customer_sections(request: HttpRequest, customer: Customer) -> list[tuple[str, dict]]:
    return [s for s in (section(request, customer) for section in _customer_sections) if s is not None]
