"""Personas and shared fixtures. Every persona is a real user in its role's group."""

import pytest
from django.test import Client

from pdam.roles import Role, user_create
from tests.customers.factories import CustomerFactory

PASSWORD = "a-Long-test-passw0rd"


@pytest.fixture(autouse=True)
def _fast_test_settings(settings):
    # Real password hashing costs ~0.2 s a user; the personas do not need it to be slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Hashed static names need `collectstatic`; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache; each test starts with none counted."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _user(username: str, role: Role):
    return user_create(username=username, password=PASSWORD, role=role, email=f"{username}@example.test")


@pytest.fixture
def customer_user(db):
    return _user("budi", Role.CUSTOMER)


@pytest.fixture
def other_customer_user(db):
    return _user("siti", Role.CUSTOMER)


@pytest.fixture
def cs_user(db):
    return _user("dewi_cs", Role.CS)


@pytest.fixture
def cashier_user(db):
    return _user("nurul_kasir", Role.CASHIER)


@pytest.fixture
def manager_user(db):
    return _user("hendra_manajer", Role.MANAGER)


@pytest.fixture
def supervisor_user(db):
    return _user("rahma_supervisor", Role.SUPERVISOR)


@pytest.fixture
def admin_user(db):
    return _user("admin_sistem", Role.ADMIN)


@pytest.fixture
def customer(customer_user):
    """The customer persona's own connection."""
    return CustomerFactory(user=customer_user, name="Budi Santoso")


@pytest.fixture
def other_customer(other_customer_user):
    return CustomerFactory(user=other_customer_user, name="Siti Rahmah")


PERSONAS = ["anonymous", "customer", "other_customer", "cs", "cashier", "manager", "supervisor", "admin"]


@pytest.fixture
def persona_client(request, db):
    """``persona_client("cs")`` → a test client logged in as that persona (or anonymous)."""

    def make(persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(f"{persona}_user"))
        return client

    return make


PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154"
    "789c63606060000000040001f61738550000000049454e44ae426082"
)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def reading_with_photo(customer, media_root):
    """A reading of the customer persona's meter for last month, with a photo."""
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from meters.models import Meter, Period, Reading, ReadingMethod

    meter = Meter.objects.create(
        customer=customer, serial_number=f"T-{customer.number}", installed_on=datetime.date(2015, 3, 1)
    )
    month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    period = Period.objects.create(month=month.replace(day=1))
    reading = Reading(
        customer=customer,
        period=period,
        meter=meter,
        stand=25,
        previous_stand=0,
        usage_m3=25,
        read_on=month,
        method=ReadingMethod.FIELD,
    )
    reading.photo.save("meter.png", ContentFile(PNG_1PX), save=False)
    reading.save()
    return reading
