"""The PDAM billing portal project: settings, URLs, the Celery app and a small shared kernel."""

from .celery import app as celery_app

__all__ = ["celery_app"]
