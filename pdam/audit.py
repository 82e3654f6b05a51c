"""Writing and reading the audit trail (`AuditEntry`)."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from pdam.models import AuditEntry


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    changes: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one audit row. Call it inside the service's transaction."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        changes=changes or {},
        reason=reason,
    )


def audit_entries_for(obj: models.Model) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
    ).select_related("actor")


def field_changes(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for the fields whose displayed value changed."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}
