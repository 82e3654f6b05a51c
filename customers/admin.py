from django.contrib import admin

from customers.models import Customer, CustomerStatusChange, Route, TariffClass, Zone


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "zone"]
    list_filter = ["zone"]
    search_fields = ["code", "name"]


@admin.register(TariffClass)
class TariffClassAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kelompok", "sort_order"]
    list_filter = ["kelompok"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    # Registry changes go through the CS pages so that they are audited; the admin only reads.
    list_display = ["number", "name", "route", "tariff_class", "status"]
    list_filter = ["status", "tariff_class"]
    search_fields = ["=number", "name"]
    raw_id_fields = ["route", "user"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CustomerStatusChange)
class CustomerStatusChangeAdmin(admin.ModelAdmin):
    list_display = ["customer", "from_status", "to_status", "effective_on", "changed_by"]
    raw_id_fields = ["customer"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
