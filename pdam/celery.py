"""The Celery app. The beat schedule lives here, in code, so that it is reviewed like code."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdam.settings")

app = Celery("pdam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs (bill run, late fees, reminders, payment reconciliation) join this schedule
# as the issues that own them land.
app.conf.beat_schedule = {
    # Starts the month's bill run on BILL_RUN_DAY (setting); a no-op on other days.
    "bill-run-scheduled": {
        "task": "billing.tasks.bill_run_scheduled",
        "schedule": crontab(hour=1, minute=30),
    },
    # Asks Midtrans about online orders nobody heard of for 15 minutes (a Snap page can expire
    # without any notification).
    "online-orders-sweep": {
        "task": "payments.tasks.online_orders_sweep",
        "schedule": crontab(minute="*/10"),
    },
    # Stored Midtrans notifications past their retention period, except those tied to money.
    "notifications-purge": {
        "task": "payments.tasks.notifications_purge",
        "schedule": crontab(hour=4, minute=15),
    },
    # Credit from overpayments settles the next invoices it covers (after each bill run too).
    "credits-apply": {
        "task": "payments.tasks.credits_apply",
        "schedule": crontab(hour=3, minute=0),
    },
    # The message outbox: retries, rate-limited leftovers and messages of a dead worker.
    "messages-send": {
        "task": "pdam.tasks.messages_send",
        "schedule": crontab(minute="*"),
    },
    # Denda: each unpaid invoice past its due date gets the late-fee steps it has earned (after
    # midnight, so the day after the due date counts; idempotent).
    "late-fees-assess": {
        "task": "arrears.tasks.late_fees_assess_nightly",
        "schedule": crontab(hour=0, minute=30),
    },
}
