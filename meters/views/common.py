from django.core.exceptions import ValidationError
from django.http import Http404

from customers.models import Customer


def customer_or_404(number: str) -> Customer:
    try:
        return Customer.objects.select_related("route__zone", "tariff_class").get(number=number)
    except Customer.DoesNotExist:
        raise Http404 from None


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)
