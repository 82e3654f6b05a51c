import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from customers.models import Customer, CustomerStatus, CustomerStatusChange, Route, TariffClass, Zone
from pdam.roles import Role, user_role

pytestmark = pytest.mark.django_db

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (COPY and trigram indexes)"
)


def test_seed_demo_refuses_demo_logins_when_debug_is_off(settings, django_user_model):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="createsuperuser"):
        call_command("seed_demo", customers=5, quiet=True)
    assert not django_user_model.objects.filter(username="admin").exists()
    assert not Customer.objects.exists()


def test_seed_demo_creates_demo_logins_when_debug_is_on(settings, django_user_model):
    settings.DEBUG = True
    call_command("seed_demo", customers=5, quiet=True)
    assert django_user_model.objects.filter(username="admin").exists()


def test_seed_demo_builds_a_utility_and_is_idempotent(django_user_model, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends on commit
        call_command("seed_demo", customers=120, quiet=True, demo_logins_in_production=True)
    call_command("seed_demo", customers=120, quiet=True, demo_logins_in_production=True)

    assert Customer.objects.count() == 120
    assert Zone.objects.count() == 5
    assert TariffClass.objects.count() == 10
    assert Route.objects.exists()
    assert Customer.objects.values("number").distinct().count() == 120
    inactive = Customer.objects.exclude(status=CustomerStatus.ACTIVE).count()
    assert CustomerStatusChange.objects.count() == inactive
    roles = {u.username: user_role(u) for u in django_user_model.objects.all()}
    assert roles["kasir"] is Role.CASHIER
    assert roles["admin"] is Role.ADMIN
    budi = django_user_model.objects.get(username="pelanggan")
    assert budi.check_password("pdam-demo-2026")
    assert budi.connections.count() == 2
    assert not django_user_model.objects.get(username="cs").is_staff
    # Contact details, and the latest bill run's messages in the outbox (sent, in development).
    assert Customer.objects.exclude(email="").exists()
    assert Customer.objects.exclude(phone="").exists()
    from billing.models import BillRun, Invoice
    from pdam.messaging.models import Message, MessageState

    # The latest billed month's runs: the main run and the close's estimates.
    latest = BillRun.objects.order_by("-period__month").first()
    keys = set(Message.objects.values_list("key", flat=True))
    reachable = Invoice.objects.filter(bill_run__period=latest.period).exclude(
        customer__email="", customer__phone=""
    )
    assert len(keys) > 3  # more than the close's few estimates: the whole month
    assert keys <= {f"invoice:{n}:issued" for n in reachable.values_list("number", flat=True)}
    assert set(Message.objects.values_list("state", flat=True)) == {MessageState.SENT}


def test_seed_demo_numbers_follow_the_zone_and_walking_order():
    call_command("seed_demo", customers=50, quiet=True, demo_logins_in_production=True)
    for customer in Customer.objects.select_related("route__zone"):
        assert customer.number.startswith(customer.route.zone.code)
        assert len(customer.number) == 10


@needs_postgres
def test_seed_demo_copy_path_on_postgres():
    call_command("seed_demo", customers=6000, quiet=True, demo_logins_in_production=True)
    assert Customer.objects.count() == 6000
    assert 2500 < Customer.objects.exclude(email="").count() < 3500  # about half
    assert (
        CustomerStatusChange.objects.count() == Customer.objects.exclude(status=CustomerStatus.ACTIVE).count()
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'customers_customer'")
        indexes = {row[0] for row in cursor.fetchall()}
    assert {"customer_name_trgm", "customer_address_trgm"} <= indexes


@needs_postgres
def test_name_search_uses_the_trigram_index():
    from customers.selectors import customer_search

    call_command("seed_demo", customers=6000, quiet=True, demo_logins_in_production=True)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = customer_search(query="veteran").explain()
        cursor.execute("RESET enable_seqscan")
    assert "customer_name_trgm" in plan
    assert "customer_address_trgm" in plan
