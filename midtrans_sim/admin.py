from django.contrib import admin

from midtrans_sim.models import SimFault, SimNotification, SimTransaction


class SimNotificationInline(admin.TabularInline):
    model = SimNotification
    extra = 0
    fields = ["sent_at", "url", "transaction_status", "status_code", "response_status", "error"]
    readonly_fields = fields
    can_delete = False


@admin.register(SimTransaction)
class SimTransactionAdmin(admin.ModelAdmin):
    list_display = ["order_id", "gross_amount", "method", "transaction_status", "fraud_status", "created_at"]
    search_fields = ["order_id", "transaction_id"]
    inlines = [SimNotificationInline]


@admin.register(SimFault)
class SimFaultAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "behaviour", "seconds", "created_at", "consumed_at"]
