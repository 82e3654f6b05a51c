import datetime

import factory

from meters.models import Meter, MeterSize, Period, Reading, ReadingMethod, ReadingStatus
from tests.customers.factories import CustomerFactory


class MeterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meter

    customer = factory.SubFactory(CustomerFactory)
    serial_number = factory.Sequence(lambda n: f"TST-{n:06d}")
    brand = "Barindo"
    size = MeterSize.HALF
    digits = 5
    installed_on = factory.LazyAttribute(lambda o: o.customer.connected_on)
    initial_stand = 0


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Period
        django_get_or_create = ["month"]

    month = factory.Sequence(lambda n: datetime.date(2024 + n // 12, n % 12 + 1, 1))


def _installed_meter(reading) -> Meter:
    meter = Meter.objects.filter(customer=reading.customer, removed_on__isnull=True).first()
    return meter or MeterFactory(customer=reading.customer)


class ReadingFactory(factory.django.DjangoModelFactory):
    """A stored reading, as it is. For readings decided by the rules use `reading_record`."""

    class Meta:
        model = Reading

    customer = factory.SubFactory(CustomerFactory)
    period = factory.SubFactory(PeriodFactory)
    meter = factory.LazyAttribute(_installed_meter)
    previous_stand = 100
    usage_m3 = 20
    stand = factory.LazyAttribute(lambda o: o.previous_stand + o.usage_m3)
    read_on = factory.LazyAttribute(lambda o: o.period.month - datetime.timedelta(days=5))
    reader = "Amir"
    method = ReadingMethod.FIELD
    status = ReadingStatus.OK
