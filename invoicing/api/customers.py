"""/api/v1/customers/: list, read, create and update customers.

Writes go through ``contracts.services.customer_save``, the same function as the finance UI's
form, so the checks (VAT number for the country, Peppol scheme and identifier, e-mail, unique
code) and their messages are the same. A customer read on its own carries what it owes per
currency (read-only), from ``receivables.selectors.customers_receivable`` like the pages.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, viewsets

from contracts import services as contract_services
from contracts.models import Customer
from contracts.models.parties import CUSTOMER_EDITABLE_FIELDS
from invoicing.api.views import SavedThroughService
from invoicing.receivables import selectors


class CustomerBalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    open_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    overdue_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    open_invoices = serializers.IntegerField()
    overdue_invoices = serializers.IntegerField()
    credit_available = serializers.DecimalField(max_digits=14, decimal_places=2)


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", *CUSTOMER_EDITABLE_FIELDS]
        # Uniqueness and every check are the model's, run by the service with the UI's messages.
        validators = []
        extra_kwargs = {"code": {"validators": []}}


class CustomerDetailSerializer(CustomerSerializer):
    balances = serializers.SerializerMethodField(
        help_text="What the customer owes per currency (read-only)."
    )

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "balances"]

    @extend_schema_field(CustomerBalanceSerializer(many=True))
    def get_balances(self, customer: Customer) -> list[dict]:
        positions = selectors.customers_receivable([customer.pk])[customer.pk]
        return CustomerBalanceSerializer(positions, many=True).data


class CustomerViewSet(
    SavedThroughService, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Customers (who is invoiced): contact, language, payment terms and e-invoice settings."""

    queryset = Customer.objects.order_by("code")
    serializer_class = CustomerSerializer

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CustomerDetailSerializer
        return CustomerSerializer

    def save(self, customer: Customer) -> Customer:
        return contract_services.customer_save(customer=customer, actor=self.request.user)
