import datetime

import factory

from customers.models import Customer, CustomerStatus, Kelompok, Route, TariffClass, Zone


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"{n % 90 + 10:02d}")
    name = factory.Sequence(lambda n: f"Wilayah {n}")


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Route

    zone = factory.SubFactory(ZoneFactory)
    code = factory.Sequence(lambda n: f"R-{n:04d}")
    name = factory.Sequence(lambda n: f"Rute {n}")


class TariffClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TariffClass
        django_get_or_create = ["code"]

    code = "2B"
    name = "Rumah Tangga B"
    kelompok = Kelompok.II


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    number = factory.Sequence(lambda n: f"99{n:08d}")
    name = factory.Faker("name", locale="id_ID")
    address = factory.Faker("street_address", locale="id_ID")
    route = factory.SubFactory(RouteFactory)
    route_sequence = factory.Sequence(lambda n: (n + 1) * 10)
    tariff_class = factory.SubFactory(TariffClassFactory)
    status = CustomerStatus.ACTIVE
    connected_on = datetime.date(2015, 3, 1)
