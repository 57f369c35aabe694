from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from simple_history.admin import SimpleHistoryAdmin

from funding import services
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


class FundingRuleLineAdminFormSet(BaseInlineFormSet):
    """The same checks as the funding tab: one line per source, at most 100 % in total."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        lines = [
            services.RuleLineData(
                source=form.cleaned_data["source"], percentage=form.cleaned_data["percentage"]
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        services.funding_rule_lines_validate(contract=self.instance.contract, lines=lines)


class FundingRuleLineInline(admin.TabularInline):
    model = FundingRuleLine
    formset = FundingRuleLineAdminFormSet
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
