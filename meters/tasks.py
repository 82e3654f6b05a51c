"""Background work for meters. Tasks take ids, call one service and are safe to run twice."""

from celery import shared_task

from meters import imports


@shared_task(
    soft_time_limit=imports.RUN_SOFT_TIME_LIMIT,
    time_limit=imports.RUN_TIME_LIMIT,
    acks_late=True,
    ignore_result=True,
)
def reading_import_run(import_id: int) -> None:
    """Import an uploaded reading file. A second delivery finds the import claimed and stops."""
    imports.reading_import_run(import_id=import_id)
