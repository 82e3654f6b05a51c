from django.contrib import admin

from billing.models import FixedCharge, TariffBlock, TariffVersion


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TariffBlockInline(_ReadOnlyInline):
    model = TariffBlock


class FixedChargeInline(_ReadOnlyInline):
    model = FixedCharge


@admin.register(TariffVersion)
class TariffVersionAdmin(admin.ModelAdmin):
    # A version is never edited: new decrees go through the supervisors' tariff page, audited.
    list_display = ["tariff_class", "effective_from", "minimum_usage_m3", "decree", "created_by"]
    list_filter = ["tariff_class"]
    date_hierarchy = "effective_from"
    inlines = [TariffBlockInline, FixedChargeInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
