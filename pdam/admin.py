from django.contrib import admin

from pdam.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "actor", "action", "content_type", "object_id", "reason"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_id", "reason"]
    date_hierarchy = "occurred_at"

    # The audit trail is append-only, in the admin too.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
