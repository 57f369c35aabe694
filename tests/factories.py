"""factory-boy factories for every model. Codes are sequences, so factories never collide."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from contracts import models as contracts
from contracts.roles import ROLE_GROUP_NAMES


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("secret-password-1")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[extracted]))


class PaymentTermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.PaymentTerms

    # Not "NET{n}": the 30th would be the "NET30" that tests name by hand (found when another
    # worker count made a browser test's own NET30 collide with its contract's terms).
    code = factory.Sequence(lambda n: f"TERMS{n}")
    name = "30 days net"
    net_days = 30


class TaxGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.TaxGroup

    code = factory.Sequence(lambda n: f"TAX{n}")
    name = "Sweden 25 %"
    rate = Decimal("25.00")
    vat_category = contracts.VatCategory.STANDARD

    class Params:
        reverse_charge = factory.Trait(
            name="EU reverse charge",
            rate=Decimal("0"),
            vat_category=contracts.VatCategory.REVERSE_CHARGE,
            exemption_reason_code="VATEX-EU-AE",
            note="Reverse charge, article 196 Council Directive 2006/112/EC",
        )
        exempt = factory.Trait(
            name="Exempt from VAT",
            rate=Decimal("0"),
            vat_category=contracts.VatCategory.EXEMPT,
            note="Exempt from VAT",
        )


class LegalEntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.LegalEntity

    code = factory.Sequence(lambda n: f"LE{n}")
    name = factory.Sequence(lambda n: f"Nordic Projects {n} AB")
    country = "SE"
    base_currency = "SEK"
    vat_number = "SE556677889901"

    class Params:
        # Every number an e-invoice of a Swedish seller carries, with right check digits.
        swedish_details = factory.Trait(
            organization_number="5566778899",
            f_skatt=True,
            registered_office="Stockholm",
            iban="SE4550000000058398257466",
            bic="ESSESESS",
            bankgiro="50501055",
        )
        # A Danish seller, paid by FIK.
        danish = factory.Trait(
            name=factory.Sequence(lambda n: f"Nordic Projects {n} ApS"),
            country="DK",
            base_currency="DKK",
            vat_number="DK32712452",
            organization_number="32712452",
            registered_office="København",
            iban="DK5000400440116243",
            bic="DABADKKK",
            fik_creditor_number="81234567",
        )


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.Customer

    code = factory.Sequence(lambda n: f"C{n}")
    name = factory.Sequence(lambda n: f"Customer {n} AB")
    country = "SE"
    language = "sv"
    # A Swedish company: its e-invoices go to its organisation number (Peppol 0007), read
    # from the VAT number when it has no Peppol endpoint of its own.
    vat_number = "SE556000111601"
    payment_terms = factory.SubFactory(PaymentTermsFactory)

    class Params:
        # Reached over Peppol by its organisation number, with a buyer reference.
        peppol = factory.Trait(
            vat_number="SE556000111601",
            peppol_scheme=contracts.PeppolScheme.SE_ORGANIZATION_NUMBER,
            peppol_identifier="5560001116",
            buyer_reference="SBK-4711",
        )


class CategoryGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.CategoryGroup

    code = factory.Sequence(lambda n: f"GRP{n}")
    name = "Labour"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.Category

    code = factory.Sequence(lambda n: f"CAT{n}")
    name = "Development"
    group = factory.SubFactory(CategoryGroupFactory)
    kind = contracts.TransactionKind.HOUR


class WorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.Worker

    code = factory.Sequence(lambda n: f"W{n:04d}")
    name = factory.Sequence(lambda n: f"Worker {n}")
    cost_rate = Decimal("600.00")
    sales_rate = Decimal("1000.00")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.Item

    code = factory.Sequence(lambda n: f"ITEM{n}")
    name = "Network switch"
    cost_price = Decimal("4000.00")
    sales_price = Decimal("5000.00")


class LinePropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.LineProperty
        django_get_or_create = ["code"]

    code = "CHARGE"
    name = "Chargeable"
    is_chargeable = True


class ProjectContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.ProjectContract

    code = factory.Sequence(lambda n: f"K{n:04d}")
    name = factory.Sequence(lambda n: f"Contract {n}")
    legal_entity = factory.SubFactory(LegalEntityFactory)
    customer = factory.SubFactory(CustomerFactory)
    status = contracts.ContractStatus.ACTIVE
    currency = "SEK"
    contract_value = Decimal("100000.00")
    retention_percent = Decimal("0")
    default_tax_group = factory.SubFactory(TaxGroupFactory)
    payment_terms = factory.SubFactory(PaymentTermsFactory)
    start_date = datetime.date(2026, 1, 1)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.Project

    code = factory.Sequence(lambda n: f"PRJ{n:04d}")
    name = factory.Sequence(lambda n: f"Project {n}")
    contract = factory.SubFactory(ProjectContractFactory)
    project_type = contracts.ProjectType.TIME_AND_MATERIAL


class BudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.Budget

    project = factory.SubFactory(ProjectFactory)
    category = factory.SubFactory(CategoryFactory)
    cost_amount = Decimal("15000.00")
    revenue_amount = Decimal("20000.00")


def unsaved_contract(**fields) -> contracts.ProjectContract:
    """A contract not yet saved, whose related records are saved (for service tests)."""
    related = {
        "legal_entity": LegalEntityFactory(),
        "customer": CustomerFactory(),
        "default_tax_group": TaxGroupFactory(),
        "payment_terms": PaymentTermsFactory(),
    }
    return ProjectContractFactory.build(**{**related, **fields})


class FundingSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "funding.FundingSource"

    contract = factory.SubFactory(ProjectContractFactory)
    name = factory.Sequence(lambda n: f"Source {n}")
    source_type = "customer"
    customer = factory.SubFactory(CustomerFactory)


class FundingLimitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "funding.FundingLimit"

    source = factory.SubFactory(FundingSourceFactory)
    amount = Decimal("10000.00")


class FundingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "funding.FundingRule"

    contract = factory.SubFactory(ProjectContractFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    priority = 1


class FundingRuleLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "funding.FundingRuleLine"

    rule = factory.SubFactory(FundingRuleFactory)
    source = factory.SubFactory(
        FundingSourceFactory, contract=factory.SelfAttribute("..rule.contract")
    )
    percentage = Decimal("100")


class ProjectTransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "invoicing.ProjectTransaction"

    kind = "hour"
    date = datetime.date(2026, 3, 2)
    project = factory.SubFactory(ProjectFactory)
    category = factory.SubFactory(CategoryFactory)
    worker = factory.SubFactory(WorkerFactory)
    quantity = Decimal("8")
    cost_price = Decimal("600")
    sales_price = Decimal("1000")
    cost_amount = Decimal("4800.00")
    sales_amount = Decimal("8000.00")
    currency = "SEK"
    external_reference = factory.Sequence(lambda n: f"TS-{n:06d}")


class ImportBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "invoicing.ImportBatch"

    created_by = factory.SubFactory(UserFactory)
    file = factory.django.FileField(filename="timesheet.csv", data=b"Entry ID;Date\n")
    file_name = "timesheet.csv"
    file_sha256 = "0" * 64


class TransactionAllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "invoicing.TransactionAllocation"

    transaction = factory.SubFactory(ProjectTransactionFactory)
    source = factory.SubFactory(FundingSourceFactory)
    amount = Decimal("8000.00")


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.Milestone

    contract = factory.SubFactory(ProjectContractFactory)
    sequence = factory.Sequence(lambda n: n + 1)
    description = factory.Sequence(lambda n: f"Milestone {n}")
    due_date = datetime.date(2026, 3, 31)
    amount = Decimal("10000.00")


class BillingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.BillingRule
        skip_postgeneration_save = True

    contract = factory.SubFactory(ProjectContractFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    rule_type = contracts.BillingRuleType.TIME_AND_MATERIAL

    @factory.post_generation
    def projects(self, create, extracted, **kwargs):
        if create:
            self.projects.set(extracted or [ProjectFactory(contract=self.contract)])


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contracts.ExchangeRate

    currency = "EUR"
    quote_currency = "SEK"
    rate_date = datetime.date(2026, 12, 2)
    rate = Decimal("11.2345")
    source = contracts.RateSource.RIKSBANKEN
    created_by = factory.SubFactory(UserFactory)
