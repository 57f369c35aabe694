from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from funding.models import FundingLimit, FundingRule, FundingRuleLine, FundingSource


class FundingLimitInline(admin.TabularInline):
    model = FundingLimit
    extra = 0
    fields = ["amount", "project", "category", "worker", "item", "kind", "date_from", "date_to"]
    readonly_fields = ["used_amount"]


@admin.register(FundingSource)
class FundingSourceAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "contract",
        "source_type",
        "customer",
        "is_on_hold",
        "is_rounding_source",
    ]
    list_filter = ["source_type", "is_on_hold", "is_rounding_source"]
    search_fields = ["name", "contract__code", "contract__name", "customer__name"]
    list_select_related = ["contract", "customer"]
    inlines = [FundingLimitInline]


@admin.register(FundingLimit)
class FundingLimitAdmin(SimpleHistoryAdmin):
    list_display = [
        "source",
        "amount",
        "used_amount",
        "project",
        "category",
        "kind",
        "date_from",
        "date_to",
    ]
    list_filter = ["kind"]
    search_fields = ["source__name", "source__contract__code"]
    list_select_related = ["source", "project", "category"]
    readonly_fields = ["used_amount"]


class FundingRuleLineInline(admin.TabularInline):
    model = FundingRuleLine
    extra = 1


@admin.register(FundingRule)
class FundingRuleAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "contract",
        "priority",
        "project",
        "category",
        "kind",
        "valid_from",
        "valid_to",
    ]
    list_filter = ["kind"]
    search_fields = ["name", "contract__code", "contract__name"]
    list_select_related = ["contract", "project", "category"]
    inlines = [FundingRuleLineInline]


@admin.register(FundingRuleLine)
class FundingRuleLineAdmin(SimpleHistoryAdmin):
    list_display = ["rule", "source", "percentage"]
    search_fields = ["rule__name", "source__name"]
    list_select_related = ["rule", "source"]
