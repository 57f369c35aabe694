"""E-invoice master data (issue 14, item 1): tax groups' VAT categories and exemption reasons,
the legal entity's and customer's numbers, the contract's references. Each rule is said by
``clean`` on the field to change, and the database refuses what bypasses it."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import translation

from contracts.demo import demo_setup_create
from contracts.models import Customer, LegalEntity, ProjectContract, TaxGroup, VatCategory
from contracts.selectors import buyer_reference_effective
from tests.contracts.test_views import contract_form_data
from tests.factories import (
    CustomerFactory,
    LegalEntityFactory,
    PaymentTermsFactory,
    ProjectContractFactory,
    TaxGroupFactory,
)
from tests.markers import migration_round_trip

pytestmark = pytest.mark.django_db
D = Decimal


def field_errors(record) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        record.full_clean()
    return refused.value.message_dict


def refused_by_database(write) -> str:
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        write()
    return str(refused.value)


# --------------------------------------------------------------------------------------------
# Tax groups: category, rate and exemption reason
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "rate", "code", "note"),
    [
        ("S", "25", "", ""),
        ("S", "12", "", "Printed text is allowed on a standard rate"),
        ("Z", "0", "", ""),
        ("E", "0", "VATEX-EU-132-1I", ""),
        ("E", "0", "", "Exempt from VAT, chapter 10 § 2 ML"),
        ("AE", "0", "VATEX-EU-AE", ""),
        ("AE", "0", "", "Omvänd betalningsskyldighet"),
        ("K", "0", "VATEX-EU-IC", ""),
        ("G", "0", "VATEX-EU-G", ""),
        ("O", "0", "", "Not subject to VAT"),
    ],
)
def test_a_tax_group_of_each_category_is_accepted(category, rate, code, note):
    tax_group = TaxGroupFactory.build(
        vat_category=category, rate=D(rate), exemption_reason_code=code, note=note
    )
    tax_group.full_clean()
    tax_group.save()
    assert tax_group.is_reverse_charge == (category == "AE")
    assert tax_group.is_exempt == (category == "E")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"vat_category": "S", "rate": D("0")},
            "rate",
            "A standard-rate (S) tax group needs a VAT rate above zero.",
        ),
        (
            {"vat_category": "AE", "rate": D("25"), "exemption_reason_code": "VATEX-EU-AE"},
            "rate",
            "Only a standard-rate (S) tax group charges VAT: for this category the VAT rate "
            "must be zero.",
        ),
        (
            {"vat_category": "E", "rate": D("0")},
            "exemption_reason_code",
            "Exempt, reverse-charge, intra-community, export and not-subject tax groups must say "
            "why no VAT is charged",
        ),
        (
            {"vat_category": "Z", "rate": D("0"), "exemption_reason_code": "VATEX-EU-132"},
            "exemption_reason_code",
            "Standard-rate and zero-rated tax groups cannot have an exemption reason code.",
        ),
        (
            {"vat_category": "K", "rate": D("0"), "exemption_reason_code": "VATEX-EU-AE"},
            "exemption_reason_code",
            "This exemption reason code belongs to another VAT category",
        ),
        (
            {"vat_category": "E", "rate": D("0"), "exemption_reason_code": "VATEX-EU-G"},
            "exemption_reason_code",
            "VATEX-EU-G for export (G)",
        ),
    ],
)
def test_clean_explains_a_category_that_does_not_fit(fields, field, message):
    errors = field_errors(TaxGroupFactory.build(**fields))
    assert any(message in text for text in errors[field]), errors


@pytest.mark.parametrize(
    "change",
    [
        {"vat_category": "S", "rate": D("0")},
        {"rate": D("5")},  # a reverse charge at 5 %
        {"exemption_reason_code": "", "note": ""},  # no reason
        {"exemption_reason_code": "VATEX-EU-IC"},  # K's code on AE
        {"is_reverse_charge": False},  # the flag no longer follows the category
        {"vat_category": "E", "exemption_reason_code": ""},  # exempt, flagged reverse charge
        {"vat_category": "X"},
    ],
)
def test_the_database_refuses_a_tax_group_that_breaks_the_rules(change):
    tax_group = TaxGroupFactory(reverse_charge=True)
    refused_by_database(lambda: TaxGroup.objects.filter(pk=tax_group.pk).update(**change))


def test_a_standard_rate_tax_group_cannot_be_given_an_exemption_code_in_the_database():
    tax_group = TaxGroupFactory()
    refused_by_database(
        lambda: TaxGroup.objects.filter(pk=tax_group.pk).update(exemption_reason_code="VATEX-EU-AE")
    )


def test_the_constraints_messages_are_what_a_clerk_reads():
    """``validate_constraints`` (run by every ModelForm) shows the constraint's own words."""
    tax_group = TaxGroupFactory.build(vat_category="S", rate=D("0"))
    with pytest.raises(ValidationError) as refused:
        tax_group.validate_constraints()
    assert "A standard-rate (S) tax group needs a VAT rate above zero." in refused.value.messages


@migration_round_trip
@pytest.mark.django_db(transaction=True)
def test_migrating_gives_every_tax_group_its_category_from_its_flags():
    before = ("contracts", "0011_einvoice_master_data")
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps.get_model("contracts", "TaxGroup")
    old.objects.create(code="RC", name="EU reverse charge", rate=0, is_reverse_charge=True)
    old.objects.create(code="EX", name="Exempt", rate=0, is_exempt=True)
    old.objects.create(code="EXN", name="Exempt", rate=0, is_exempt=True, note="ML 10 kap.")
    old.objects.create(code="ZERO", name="Zero", rate=0)
    old.objects.create(code="SE25", name="Sweden 25 %", rate=25)
    MigrationExecutor(connection).migrate(leaves)
    migrated = {
        group.code: (group.vat_category, group.exemption_reason_code, group.note)
        for group in TaxGroup.objects.all()
    }
    assert migrated == {
        "RC": ("AE", "VATEX-EU-AE", ""),
        "EX": ("E", "", "Exempt from VAT"),
        "EXN": ("E", "", "ML 10 kap."),
        "ZERO": ("Z", "", ""),
        "SE25": ("S", "", ""),
    }


def customer_built(**fields) -> Customer:
    return CustomerFactory.build(payment_terms=PaymentTermsFactory(), **fields)


# --------------------------------------------------------------------------------------------
# Legal entities and customers: their numbers
# --------------------------------------------------------------------------------------------


def test_a_swedish_entitys_numbers_are_checked_and_stored_compact():
    entity = LegalEntityFactory.build(
        organization_number="556677-8899",
        vat_number="se556677889901",
        bankgiro="5050-1055",
        plusgiro="4 12 34-6",
        iban="SE45 5000 0000 0583 9825 7466",
        bic="esse se ss",
        f_skatt=True,
        registered_office=" Stockholm ",
    )
    entity.full_clean()
    entity.save()
    stored = LegalEntity.objects.get(pk=entity.pk)
    assert (stored.organization_number, stored.vat_number) == ("5566778899", "SE556677889901")
    assert (stored.bankgiro, stored.plusgiro) == ("50501055", "412346")
    assert (stored.iban, stored.bic) == ("SE4550000000058398257466", "ESSESESS")
    assert stored.registered_office == "Stockholm"
    assert stored.organization_number_display == "556677-8899"
    assert (stored.bankgiro_display, stored.plusgiro_display) == ("5050-1055", "4 12 34-6")


def test_a_danish_entity_has_its_cvr_and_fik_creditor_number():
    entity = LegalEntityFactory(danish=True)
    entity.full_clean()
    assert (entity.organization_number, entity.fik_creditor_number) == ("32712452", "81234567")


def test_each_wrong_number_of_an_entity_is_explained_on_its_own_field():
    entity = LegalEntityFactory.build(
        organization_number="556677-8898",
        vat_number="DK32712452",
        bankgiro="5050-1056",
        plusgiro="4 12 34-5",
        iban="SE4650000000058398257466",
        bic="ESSE",
        fik_creditor_number="1234",
    )
    errors = field_errors(entity)
    assert errors["organization_number"] == [
        "This is not a valid Swedish organisation number: the check digit is wrong."
    ]
    assert errors["vat_number"] == [
        "The VAT number must start with SE, the code of the country (SE)."
    ]
    assert errors["bankgiro"] == ["This is not a valid bankgiro number: the check digit is wrong."]
    assert errors["plusgiro"] == ["This is not a valid plusgiro number: the check digit is wrong."]
    assert errors["iban"] == ["This is not a valid IBAN: the check digits are wrong."]
    assert "not a valid BIC" in errors["bic"][0]
    assert errors["fik_creditor_number"] == [
        "A FIK creditor number has 8 digits, for example 81234567."
    ]


def test_saving_without_clean_still_compacts_the_numbers():
    """Imports and the shell write without ``clean``: the numbers are compacted all the same,
    and a number the check refuses is kept (upper-case, without separators) for a clerk to fix."""
    entity = LegalEntityFactory(
        organization_number="556677-8899", bankgiro="123-4567", iban="se45 5000 0000 0583 9825 7466"
    )
    entity.refresh_from_db()
    assert (entity.organization_number, entity.bankgiro) == ("5566778899", "1234567")
    assert entity.iban == "SE4550000000058398257466"
    german = LegalEntityFactory(country="DE", vat_number="", organization_number=" HRB 12345 ")
    german.refresh_from_db()
    assert german.organization_number == "HRB 12345"


def test_a_customers_peppol_endpoint_is_checked_for_its_scheme():
    customer = customer_built(peppol_scheme="0007", peppol_identifier="556000-1116")
    customer.full_clean()
    assert customer.peppol_identifier == "5560001116"
    wrong = customer_built(peppol_scheme="0007", peppol_identifier="556000-1117")
    assert field_errors(wrong)["peppol_identifier"] == [
        "This is not a valid Peppol identifier for the chosen scheme: This is not a valid "
        "Swedish organisation number: the check digit is wrong."
    ]


@pytest.mark.parametrize(
    ("scheme", "identifier", "field"),
    [("0007", "", "peppol_identifier"), ("", "5560001116", "peppol_scheme")],
)
def test_a_peppol_scheme_needs_an_identifier_and_the_other_way_round(scheme, identifier, field):
    customer = customer_built(peppol_scheme=scheme, peppol_identifier=identifier)
    assert field_errors(customer)[field] == [
        "Enter both the Peppol scheme and the Peppol identifier, or neither."
    ]
    saved = CustomerFactory()
    refused_by_database(
        lambda: Customer.objects.filter(pk=saved.pk).update(
            peppol_scheme=scheme, peppol_identifier=identifier
        )
    )


def test_a_customers_vat_number_is_checked_in_the_eu_only():
    assert field_errors(customer_built(country="DK", vat_number="DK41234564"))["vat_number"] == [
        "This is not a valid VAT number: the check digit is wrong."
    ]
    norwegian = customer_built(country="NO", vat_number="NO 987654325 MVA")
    norwegian.full_clean()
    assert norwegian.vat_number == "NO987654325MVA"


# --------------------------------------------------------------------------------------------
# Contracts: buyer and order references
# --------------------------------------------------------------------------------------------


def test_the_effective_buyer_reference_is_the_contracts_else_the_customers():
    contract = ProjectContractFactory(customer=CustomerFactory(peppol=True))
    assert buyer_reference_effective(contract=contract) == "SBK-4711"
    contract.buyer_reference = "Projekt 17"
    assert buyer_reference_effective(contract=contract) == "Projekt 17"
    funder = CustomerFactory(buyer_reference="GRANT-9")
    contract.buyer_reference = ""
    assert buyer_reference_effective(contract=contract, customer=funder) == "GRANT-9"
    assert buyer_reference_effective(contract=ProjectContractFactory()) == ""


def test_the_contract_form_offers_and_saves_the_references(clerk_client):
    page = clerk_client.get(reverse("contracts:contract_create")).content.decode()
    assert 'name="buyer_reference"' in page and 'name="order_reference"' in page
    assert "Leave blank to use the customer&#x27;s." in page
    response = clerk_client.post(
        reverse("contracts:contract_create"),
        contract_form_data(buyer_reference=" 4711 ", order_reference="PO 4500018817"),
    )
    assert response.status_code == 302
    contract = ProjectContract.objects.get(code="K-100")
    assert (contract.buyer_reference, contract.order_reference) == ("4711", "PO 4500018817")
    detail = clerk_client.get(contract.get_absolute_url()).content.decode()
    assert "4711" in detail and "PO 4500018817" in detail


def test_the_contract_form_explains_a_too_long_reference_and_saves_nothing(clerk_client):
    response = clerk_client.post(
        reverse("contracts:contract_create"), contract_form_data(order_reference="x" * 101)
    )
    assert response.status_code == 200
    assert "Ensure this value has at most 100 characters" in response.content.decode()
    assert not ProjectContract.objects.exists()


def test_the_admin_explains_a_wrong_organisation_number_and_saves_nothing(admin_client):
    response = admin_client.post(
        reverse("admin:contracts_legalentity_add"),
        {
            "code": "NPS",
            "name": "Nordic AB",
            "base_currency": "SEK",
            "country": "SE",
            "organization_number": "556677-8898",
            "vat_number": "SE556677889901",
        },
    )
    assert response.status_code == 200
    assert "the check digit is wrong" in response.content.decode()
    assert not LegalEntity.objects.exists()


def test_the_admin_saves_a_tax_group_with_its_category(admin_client):
    response = admin_client.post(
        reverse("admin:contracts_taxgroup_add"),
        {
            "code": "EURC",
            "name": "EU reverse charge",
            "vat_category": "AE",
            "rate": "0",
            "exemption_reason_code": "VATEX-EU-AE",
            "note": "",
        },
    )
    assert response.status_code == 302
    saved = TaxGroup.objects.get(code="EURC")
    assert saved.is_reverse_charge and saved.vat_category == VatCategory.REVERSE_CHARGE


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("sv", "Detta är inte ett giltigt bankgironummer: kontrollsiffran är fel."),
        ("da", "Dette er ikke et gyldigt bankgironummer: kontrolcifferet er forkert."),
    ],
)
def test_the_clerk_reads_the_refusal_in_their_language(language, message):
    with translation.override(language):
        assert field_errors(LegalEntityFactory.build(bankgiro="5050-1056"))["bankgiro"] == [message]


def test_the_demos_entities_customers_and_tax_groups_pass_every_check():
    demo_setup_create()
    for record in [*LegalEntity.objects.all(), *Customer.objects.all(), *TaxGroup.objects.all()]:
        record.full_clean()
    assert set(LegalEntity.objects.values_list("country", flat=True)) == {"SE", "DK"}
    assert Customer.objects.exclude(peppol_identifier="").count() == 3
