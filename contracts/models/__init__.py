"""The models of contracts, one module per subject. Django looks for an app's models in its
``models`` module, and the rest of the code imports them from here: ``from contracts.models
import ProjectContract``."""

from contracts.models.agreements import (
    INVOICEABLE_PROJECT_TYPES,
    Budget,
    ContractStatus,
    InvoicingScope,
    Project,
    ProjectContract,
    ProjectStatus,
    ProjectType,
)
from contracts.models.base import (
    COUNTRY_CODES,
    MONEY,
    NON_NEGATIVE,
    PERCENT,
    RATE,
    AddressMixin,
    CodedModel,
    Language,
    code_constraints,
    country_constraint,
    currency_constraint,
    non_negative_constraint,
    percentage_constraint,
)
from contracts.models.billing_terms import (
    BillingPlanTemplate,
    BillingRule,
    BillingRuleCap,
    BillingRuleType,
    Milestone,
    MilestoneStatus,
)
from contracts.models.catalogue import (
    Category,
    CategoryGroup,
    Item,
    LineProperty,
    TransactionKind,
    Worker,
)
from contracts.models.documents import (
    ContractDocument,
    DocumentKind,
)
from contracts.models.parties import (
    Customer,
    LegalEntity,
    PaymentTerms,
    TaxGroup,
)

__all__ = [
    "AddressMixin",
    "BillingPlanTemplate",
    "BillingRule",
    "BillingRuleCap",
    "BillingRuleType",
    "Budget",
    "COUNTRY_CODES",
    "Category",
    "CategoryGroup",
    "CodedModel",
    "ContractDocument",
    "ContractStatus",
    "Customer",
    "DocumentKind",
    "INVOICEABLE_PROJECT_TYPES",
    "InvoicingScope",
    "Item",
    "Language",
    "LegalEntity",
    "LineProperty",
    "MONEY",
    "Milestone",
    "MilestoneStatus",
    "NON_NEGATIVE",
    "PERCENT",
    "PaymentTerms",
    "Project",
    "ProjectContract",
    "ProjectStatus",
    "ProjectType",
    "RATE",
    "TaxGroup",
    "TransactionKind",
    "Worker",
    "code_constraints",
    "country_constraint",
    "currency_constraint",
    "non_negative_constraint",
    "percentage_constraint",
]
