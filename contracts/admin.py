from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from contracts import services
from contracts.forms import ContractForm, ContractValidationMixin, ProjectValidationMixin
from contracts.models import (
    BillingPlanTemplate,
    BillingRule,
    BillingRuleCap,
    Budget,
    Category,
    CategoryGroup,
    ContractDocument,
    Customer,
    ExchangeRate,
    Item,
    LegalEntity,
    LineProperty,
    Milestone,
    PaymentTerms,
    Project,
    ProjectContract,
    TaxGroup,
    Worker,
)

# Country and currency filters list only the values in use, not every ISO code.
IN_USE = admin.AllValuesFieldListFilter


@admin.register(PaymentTerms)
class PaymentTermsAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "net_days"]
    search_fields = ["code", "name"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(SimpleHistoryAdmin):
    """Rates are entered and imported on their own page; here the Admin corrects or deletes
    one (postings froze the rate they used, so that changes no document)."""

    list_display = ["rate_date", "currency", "quote_currency", "rate", "source", "created_by"]
    list_filter = [("currency", IN_USE), ("quote_currency", IN_USE), "source"]
    date_hierarchy = "rate_date"
    fields = ["currency", "quote_currency", "rate_date", "rate", "source", "created_by"]
    readonly_fields = ["created_by"]
    list_select_related = ["created_by"]

    def save_model(self, request, obj, form, change):
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(TaxGroup)
class TaxGroupAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "vat_category", "rate", "exemption_reason_code"]
    list_filter = ["vat_category"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "vat_category", "rate", "exemption_reason_code", "note"]


@admin.register(LegalEntity)
class LegalEntityAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "country", "base_currency", "vat_number"]
    list_filter = [("country", IN_USE), ("base_currency", IN_USE)]
    search_fields = ["code", "name", "vat_number", "organization_number"]
    fieldsets = [
        (None, {"fields": ["code", "name", "base_currency", "invoice_number_prefix"]}),
        (_("Address"), {"fields": ["street", "postal_code", "city", "country"]}),
        (
            _("Registration"),
            {"fields": ["organization_number", "vat_number", "f_skatt", "registered_office"]},
        ),
        (_("Contact"), {"fields": ["email", "phone"]}),
        (
            _("Payment"),
            {
                "fields": [
                    "bank_name",
                    "iban",
                    "bic",
                    "bankgiro",
                    "plusgiro",
                    "fik_creditor_number",
                ]
            },
        ),
        (_("Books"), {"fields": ["locked_until"]}),
    ]


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "country",
        "language",
        "vat_number",
        "peppol_scheme",
        "peppol_identifier",
        "payment_terms",
    ]
    list_filter = [
        ("country", IN_USE),
        "language",
        "payment_terms",
        "peppol_scheme",
        "wants_facturx",
    ]
    search_fields = ["code", "name", "vat_number", "email", "peppol_identifier"]
    list_select_related = ["payment_terms"]
    fieldsets = [
        (None, {"fields": ["code", "name", "language", "payment_terms"]}),
        (_("Address"), {"fields": ["street", "postal_code", "city", "country"]}),
        (
            _("E-invoicing"),
            {
                "fields": [
                    "vat_number",
                    "email",
                    "peppol_scheme",
                    "peppol_identifier",
                    "buyer_reference",
                    "wants_facturx",
                ]
            },
        ),
    ]


@admin.register(CategoryGroup)
class CategoryGroupAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "group", "kind"]
    list_filter = ["kind", "group"]
    search_fields = ["code", "name"]
    list_select_related = ["group"]


@admin.register(LineProperty)
class LinePropertyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "is_chargeable"]
    list_filter = ["is_chargeable"]
    search_fields = ["code", "name"]


@admin.register(Worker)
class WorkerAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "cost_rate", "sales_rate", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "email"]


@admin.register(Item)
class ItemAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "unit", "category", "cost_price", "sales_price"]
    list_filter = ["category"]
    search_fields = ["code", "name"]
    list_select_related = ["category"]


class ProjectInline(admin.TabularInline):
    model = Project
    fields = ["code", "name", "project_type", "parent", "status", "tax_group"]
    extra = 0
    show_change_link = True


class ContractAdminForm(ContractValidationMixin, forms.ModelForm):
    class Meta:
        model = ProjectContract
        fields = ContractForm.Meta.fields


@admin.register(ProjectContract)
class ProjectContractAdmin(SimpleHistoryAdmin):
    form = ContractAdminForm
    list_display = [
        "code",
        "name",
        "customer",
        "legal_entity",
        "status",
        "currency",
        "contract_value",
        "start_date",
    ]
    list_filter = ["status", ("currency", IN_USE), "legal_entity", "invoicing_scope"]
    search_fields = ["code", "name", "customer__name", "customer_reference"]
    list_select_related = ["customer", "legal_entity"]
    date_hierarchy = "start_date"
    inlines = [ProjectInline]

    def save_model(self, request, obj, form, change):
        services.contract_save(contract=obj, actor=request.user)


class BudgetInline(admin.TabularInline):
    model = Budget
    extra = 0


class ProjectAdminForm(ProjectValidationMixin, forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "code",
            "name",
            "contract",
            "parent",
            "project_type",
            "status",
            "tax_group",
            "manager",
            "start_date",
            "end_date",
        ]


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    form = ProjectAdminForm
    list_display = ["code", "name", "contract", "project_type", "parent", "status"]
    list_filter = ["project_type", "status"]
    search_fields = ["code", "name", "contract__code", "contract__name"]
    list_select_related = ["contract", "parent"]
    raw_id_fields = ["parent"]
    inlines = [BudgetInline]

    def save_model(self, request, obj, form, change):
        services.project_save(project=obj, actor=request.user)


@admin.register(Budget)
class BudgetAdmin(SimpleHistoryAdmin):
    list_display = ["project", "category", "cost_amount", "revenue_amount"]
    list_filter = ["category"]
    search_fields = ["project__code", "project__name", "category__name"]
    list_select_related = ["project", "category"]


class BillingRuleCapInline(admin.TabularInline):
    model = BillingRuleCap
    extra = 0


@admin.register(BillingRule)
class BillingRuleAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "contract",
        "rule_type",
        "is_active",
        "percent_complete",
        "units_delivered",
    ]
    list_filter = ["rule_type", "is_active"]
    search_fields = ["name", "contract__code", "contract__name"]
    list_select_related = ["contract"]
    filter_horizontal = ["projects", "chargeable_categories"]
    inlines = [BillingRuleCapInline]


@admin.register(BillingPlanTemplate)
class BillingPlanTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "percents", "is_builtin"]
    search_fields = ["name"]


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = [
        "contract",
        "sequence",
        "description",
        "due_date",
        "amount",
        "percent",
        "status",
    ]
    list_filter = ["status", "due_date"]
    search_fields = ["description", "contract__code", "contract__name"]
    list_select_related = ["contract"]
    readonly_fields = ["status", "completed_at", "completed_by"]
    date_hierarchy = "due_date"


@admin.register(ContractDocument)
class ContractDocumentAdmin(SimpleHistoryAdmin):
    """Uploads go through the contract page, which checks the file type and size."""

    list_display = ["contract", "title", "kind", "file_name", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["title", "file_name", "contract__code"]
    list_select_related = ["contract", "uploaded_by"]
    readonly_fields = ["file", "file_name", "media_type", "size", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request):
        return False
