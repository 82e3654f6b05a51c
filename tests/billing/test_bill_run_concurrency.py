"""Two supervisors start the same period's run at the same moment: only one run proceeds."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from billing import bill_run
from billing.models import BillRun
from meters.models import Period
from tests.billing.test_bill_run import connect, read

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (row locks across connections)"
    ),
]


def test_concurrent_starts(cs_user, supervisor_user, route, rt_a):
    customer = connect(cs_user, route, rt_a)
    read(cs_user, customer, 11, stand=125)
    period = Period.objects.get(month=datetime.date(2026, 11, 1))
    barrier = threading.Barrier(4)
    outcomes = []

    def start():
        try:
            barrier.wait()
            bill_run.bill_run_start(actor=supervisor_user, period=period, queue=False)
            outcomes.append("started")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "refused", "refused", "started"]
    assert BillRun.objects.count() == 1
