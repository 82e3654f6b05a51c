"""The counter's day, shared by the cashier tests: 10 April 2026, 10:00 in Makassar, and the
months of the `invoices` fixture (tests/payments/conftest.py). A module that imports `_today`
runs on that day."""

import datetime

import pytest
import time_machine

JAN, FEB, MAR = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)
TODAY = datetime.date(2026, 4, 10)


@pytest.fixture(autouse=True)
def _today():
    # 10:00 in Makassar (UTC+8).
    with time_machine.travel(datetime.datetime(2026, 4, 10, 2, 0, tzinfo=datetime.UTC), tick=False):
        yield
