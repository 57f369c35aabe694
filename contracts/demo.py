"""Demo set-up data: a Swedish legal entity and its Danish sister company, customers, and one
contract per worked example of DOMAIN.md (F1, U1, P1, P2, M1, M2, E1, T1), plus E1-DK: E1
again, invoiced by the Danish entity in kroner at Danish VAT. Idempotent: records are looked up
by code and only created when missing, so a second run changes nothing (and keeps users'
edits).

Dates are relative to the day the demo is loaded: the contracts started about four months
ago and end about a year from now, and the milestones are spread so that some are past and
some are still ahead (never all overdue)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from contracts.models import (
    BillingRule,
    BillingRuleCap,
    Budget,
    Category,
    CategoryGroup,
    Customer,
    ExchangeRate,
    InvoicingScope,
    Item,
    LegalEntity,
    LineProperty,
    Milestone,
    PaymentTerms,
    PeppolScheme,
    Project,
    ProjectContract,
    ProjectType,
    RateSource,
    TaxGroup,
    TransactionKind,
    VatCategory,
    Worker,
)
from contracts.roles import ROLE_GROUP_NAMES

D = Decimal
DAY = datetime.timedelta(days=1)

DEMO_USERS = [
    # (username, password, role, first name, last name)
    ("clerk", "clerk-demo-2026", "finance_clerk", "Karin", "Berg"),
    ("approver", "approver-demo-2026", "approver", "Lars", "Nilsson"),
    ("manager", "manager-demo-2026", "project_manager", "Sofie", "Jensen"),
    ("auditor", "auditor-demo-2026", "read_only", "Ole", "Hansen"),
    ("admin", "admin-demo-2026", "admin", "Astrid", "Ek"),
]


def _get_or_create(model, code: str, **defaults):
    instance, _created = model.objects.get_or_create(code=code, defaults=defaults)
    return instance


@transaction.atomic
def demo_users_create() -> list[tuple[str, str, str]]:
    """One user per role; returns (username, password, role name) for printing."""
    User = get_user_model()
    logins = []
    for username, password, role, first_name, last_name in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@example.com",
                "is_staff": role == "admin",
                "is_superuser": role == "admin",
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[role]))
        logins.append((username, password, ROLE_GROUP_NAMES[role]))
    return logins


def demo_contract_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Start and end of the demo contracts: about four months ago to the end of the month a
    year from now."""
    end = today + 365 * DAY
    following_month = (end.replace(day=1) + 32 * DAY).replace(day=1)
    return today - 120 * DAY, following_month - DAY


@transaction.atomic
def demo_setup_create(*, today: datetime.date | None = None) -> dict[str, ProjectContract]:
    """Create the demo set-up; returns the contracts by worked-example name."""
    today = today or timezone.localdate()
    start, end = demo_contract_period(today)
    net30 = _get_or_create(PaymentTerms, "NET30", name="30 days net", net_days=30)
    _get_or_create(PaymentTerms, "NET14", name="14 days net", net_days=14)
    standard = VatCategory.STANDARD
    se25 = _get_or_create(TaxGroup, "SE25", name="Sweden 25 %", rate=D("25"), vat_category=standard)
    _get_or_create(TaxGroup, "SE12", name="Sweden 12 %", rate=D("12"), vat_category=standard)
    dk25 = _get_or_create(
        TaxGroup, "DK25", name="Denmark 25 %", rate=D("25"), vat_category=standard
    )
    reverse = _get_or_create(
        TaxGroup,
        "EURC",
        name="EU reverse charge",
        rate=D("0"),
        vat_category=VatCategory.REVERSE_CHARGE,
        exemption_reason_code="VATEX-EU-AE",
        note="Reverse charge, article 196 Council Directive 2006/112/EC",
    )
    _get_or_create(
        TaxGroup,
        "EXEMPT",
        name="Exempt from VAT",
        rate=D("0"),
        vat_category=VatCategory.EXEMPT,
        exemption_reason_code="VATEX-EU-132",
        note="Exempt from VAT, article 132 Council Directive 2006/112/EC",
    )
    _get_or_create(
        TaxGroup,
        "EXPORT",
        name="Export outside the EU",
        rate=D("0"),
        vat_category=VatCategory.EXPORT,
        exemption_reason_code="VATEX-EU-G",
        note="Export outside the EU",
    )

    entity = _get_or_create(
        LegalEntity,
        "NPS-SE",
        name="Nordic Project Services AB",
        street="Kungsgatan 12",
        postal_code="111 43",
        city="Stockholm",
        country="SE",
        vat_number="SE556677889901",
        organization_number="5566778899",
        f_skatt=True,
        registered_office="Stockholm",
        base_currency="SEK",
        invoice_number_prefix="SE-",
        email="billing@nordicprojects.example",
        bank_name="Nordbanken",
        iban="SE4550000000058398257466",
        bic="NBBKSESS",
        bankgiro="50501055",
    )
    # The Danish sister company invoices E1-DK in kroner (its own series, DK-1, DK-2 ...): its
    # CVR number and FIK creditor number are what a Danish seller's e-invoice and FIK payment
    # slip need.
    dk_entity = _get_or_create(
        LegalEntity,
        "NPS-DK",
        name="Nordic Project Services ApS",
        street="Vesterbrogade 149",
        postal_code="1620",
        city="København V",
        country="DK",
        vat_number="DK32712452",
        organization_number="32712452",
        registered_office="København",
        base_currency="DKK",
        invoice_number_prefix="DK-",
        email="faktura@nordicprojects.example",
        bank_name="Danske Bank",
        iban="DK5000400440116243",
        bic="DABADKKK",
        fik_creditor_number="81234567",
    )

    city = _get_or_create(
        Customer,
        "C-GBG",
        name="Göteborgs Stadsbyggnad AB",
        street="Första Långgatan 4",
        postal_code="413 28",
        city="Göteborg",
        country="SE",
        vat_number="SE556000111601",
        peppol_scheme=PeppolScheme.SE_ORGANIZATION_NUMBER,
        peppol_identifier="5560001116",
        buyer_reference="SBK-4711",
        language="sv",
        email="faktura@stadsbyggnad.example",
        payment_terms=net30,
    )
    energy = _get_or_create(
        Customer,
        "C-KBH",
        name="Københavns Energi A/S",
        street="Vesterbrogade 10",
        postal_code="1620",
        city="København V",
        country="DK",
        vat_number="DK41234563",
        peppol_scheme=PeppolScheme.DK_CVR,
        peppol_identifier="41234563",
        language="da",
        email="faktura@energi.example",
        payment_terms=net30,
    )
    council = _get_or_create(
        Customer,
        "C-NRC",
        name="Nordic Research Council",
        street="Stortingsgata 2",
        postal_code="0158",
        city="Oslo",
        country="NO",
        vat_number="NO987654325MVA",
        peppol_scheme=PeppolScheme.NO_ORGANIZATION_NUMBER,
        peppol_identifier="987654325",
        language="en",
        email="grants@nrc.example",
        payment_terms=net30,
    )
    logistics = _get_or_create(
        Customer,
        "C-BLO",
        name="Baltic Logistics Oy",
        street="Mannerheimintie 5",
        postal_code="00100",
        city="Helsinki",
        country="FI",
        vat_number="FI12345671",
        language="en",
        email="ap@balticlogistics.example",
        payment_terms=net30,
    )

    labour = _get_or_create(CategoryGroup, "LABOUR", name="Labour")
    expenses = _get_or_create(CategoryGroup, "EXPENSES", name="Expenses")
    materials = _get_or_create(CategoryGroup, "MATERIALS", name="Materials")
    fees = _get_or_create(CategoryGroup, "FEES", name="Fees and payments")
    development = _get_or_create(
        Category, "DEV", name="Development", group=labour, kind=TransactionKind.HOUR
    )
    installation = _get_or_create(
        Category, "INST", name="Installation", group=labour, kind=TransactionKind.HOUR
    )
    _get_or_create(Category, "CONS", name="Consulting", group=labour, kind=TransactionKind.HOUR)
    _get_or_create(Category, "TRAIN", name="Training", group=labour, kind=TransactionKind.HOUR)
    supplies = _get_or_create(
        Category, "OFFICE", name="Office supplies", group=expenses, kind=TransactionKind.EXPENSE
    )
    _get_or_create(Category, "TRAVEL", name="Travel", group=expenses, kind=TransactionKind.EXPENSE)
    hardware = _get_or_create(
        Category, "HW", name="Hardware", group=materials, kind=TransactionKind.ITEM
    )
    _get_or_create(Category, "FEE", name="Management fee", group=fees, kind=TransactionKind.FEE)
    _get_or_create(
        Category, "ONACC", name="On-account payment", group=fees, kind=TransactionKind.ON_ACCOUNT
    )

    _get_or_create(LineProperty, "CHARGE", name="Chargeable", is_chargeable=True)
    _get_or_create(LineProperty, "NONCHARGE", name="Cost only, not billed", is_chargeable=False)

    workers = [
        ("W001", "Anna Lindqvist", D("650"), D("1150")),
        ("W002", "Erik Svensson", D("90"), D("150")),
        ("W003", "Maja Holm", D("60"), D("100")),
        ("W004", "Jonas Dahl", D("700"), D("1250")),
        ("W005", "Freja Mortensen", D("550"), D("950")),
    ]
    for code, name, cost_rate, sales_rate in workers:
        _get_or_create(Worker, code, name=name, cost_rate=cost_rate, sales_rate=sales_rate)
    _get_or_create(
        Item,
        "SW-24",
        name="Network switch 24 ports",
        unit="pcs",
        category=hardware,
        cost_price=D("4200"),
        sales_price=D("5900"),
    )
    _get_or_create(
        Item,
        "OFF-PACK",
        name="Office supplies pack",
        unit="pack",
        category=supplies,
        cost_price=D("400"),
        sales_price=D("500"),
    )

    def contract(code, name, customer, value, project_type, **extra):
        agreement = _get_or_create(
            ProjectContract,
            code,
            name=name,
            legal_entity=extra.pop("legal_entity", entity),
            customer=customer,
            status="active",
            currency=extra.pop("currency", "SEK"),
            contract_value=value,
            retention_percent=extra.pop("retention_percent", D("0")),
            default_tax_group=extra.pop("tax_group", se25),
            payment_terms=net30,
            invoicing_scope=extra.pop("invoicing_scope", InvoicingScope.WHOLE_CONTRACT),
            start_date=start,
            end_date=end,
            **extra,
        )
        _get_or_create(
            Project,
            f"{code}-P1",
            name=name,
            contract=agreement,
            project_type=project_type,
            start_date=start,
        )
        return agreement

    contracts = {
        "F1": contract(
            "F1",
            "Regional research programme (three funders)",
            council,
            D("11250.00"),
            ProjectType.TIME_AND_MATERIAL,
            description="Worked example F1: three funding sources used in priority order.",
        ),
        "U1": contract(
            "U1",
            "Training programme, 5 sessions",
            city,
            D("50000.00"),
            ProjectType.FIXED_PRICE,
            description="Worked example U1: 5 training sessions at 10,000.00 (unit of delivery).",
        ),
        "P1": contract(
            "P1",
            "Office relocation, manual progress",
            city,
            D("100000.00"),
            ProjectType.FIXED_PRICE,
            retention_percent=D("5"),
            description="Worked example P1: 15 % complete after month 1 invoices 15,000.00.",
        ),
        "P2": contract(
            "P2",
            "Network upgrade, automatic progress",
            energy,
            D("30000.00"),
            ProjectType.FIXED_PRICE,
            currency="DKK",
            tax_group=reverse,
            description="Worked example P2: percent complete from actual cost against budget.",
        ),
        "M1": contract(
            "M1",
            "Warehouse system, three milestones",
            logistics,
            D("50000.00"),
            ProjectType.FIXED_PRICE,
            currency="EUR",
            tax_group=reverse,
            requires_customer_acceptance=True,
            description="Worked example M1: milestones 10,000 / 20,000 / 20,000.",
        ),
        "M2": contract(
            "M2",
            "Customer portal, billing plan 20/30/15/35",
            city,
            D("400000.00"),
            ProjectType.FIXED_PRICE,
            description="Worked example M2: 20 % at signing, 30 %, 15 %, 35 % final.",
        ),
        "E1": contract(
            "E1",
            "Support hours with management fee",
            city,
            D("22000.00"),
            ProjectType.TIME_AND_MATERIAL,
            description="Worked example E1: 200 hours x 100.00 plus a 10 % management fee.",
        ),
        "T1": contract(
            "T1",
            "Implementation, time and material",
            energy,
            D("130000.00"),
            ProjectType.TIME_AND_MATERIAL,
            currency="DKK",
            tax_group=dk25,
            retention_percent=D("10"),
            description="Worked example T1: 800 hours x 150.00 and office supplies capped at 10,000.00.",
        ),
        "E1-DK": contract(
            "E1-DK",
            "Supporttimer med administrationsgebyr",
            energy,
            D("209000.00"),
            ProjectType.TIME_AND_MATERIAL,
            legal_entity=dk_entity,
            currency="DKK",
            tax_group=dk25,
            description=(
                "E1 from the Danish entity: 200 hours x 950.00 DKK plus a 10 % management fee, "
                "at Danish VAT 25 %, paid by FIK."
            ),
        ),
    }
    p2_project = Project.objects.get(code="P2-P1")
    for category, cost, revenue in [
        (development, D("15000"), D("20000")),
        (installation, D("5000"), D("10000")),
    ]:
        Budget.objects.get_or_create(
            project=p2_project,
            category=category,
            defaults={"cost_amount": cost, "revenue_amount": revenue},
        )
    m2_project = Project.objects.get(code="M2-P1")
    _get_or_create(
        Project,
        "M2-P1.1",
        name="Customer portal: integrations",
        contract=contracts["M2"],
        parent=m2_project,
        project_type=ProjectType.FIXED_PRICE,
        start_date=start,
    )
    _get_or_create(Project, "INT-01", name="Internal tooling", project_type=ProjectType.INTERNAL)
    demo_billing_terms_create(contracts, supplies=supplies, today=today, start=start)
    return contracts


def demo_billing_terms_create(
    contracts: dict[str, ProjectContract],
    *,
    supplies: Category,
    today: datetime.date,
    start: datetime.date,
) -> None:
    """Billing rules and milestones of the worked examples (only for contracts without rules).
    Milestones: the first of each schedule is behind us, the others come in the next weeks
    and months."""
    terms = {
        "U1": {
            "rule_type": "unit",
            "unit_name": "session",
            "unit_price": D("10000"),
            "total_units": 5,
        },
        "P1": {"rule_type": "progress_manual", "percent_complete": D("15")},
        "P2": {"rule_type": "progress_automatic"},
        "M1": {"rule_type": "milestone"},
        "M2": {"rule_type": "milestone"},
        "E1": {"rule_type": "fee", "fee_percent": D("10")},
        "E1-DK": {"rule_type": "fee", "fee_percent": D("10")},
        "T1": {"rule_type": "time_material"},
        "F1": {"rule_type": "time_material"},
    }
    # A fee contract has a fee rule and a rule billing the hours the fee is on. Short names in
    # the language of the entity's staff: a rule's name is part of generated line texts ("U1:
    # 1 session", "E1 avgift: 10 % av ..."), so it should carry no English sentence into other
    # languages.
    fee_rule_names = {"E1": ("E1 avgift", "E1 timmar"), "E1-DK": ("E1-DK gebyr", "E1-DK timer")}
    for code, fields in terms.items():
        contract = contracts[code]
        if contract.billing_rules.exists():
            continue
        fee_name, hours_name = fee_rule_names.get(code, (code, ""))
        rule = BillingRule.objects.create(contract=contract, name=fee_name, **fields)
        rule.projects.set(contract.projects.all())
        if hours_name:  # the fee is on top of hours billed at their rates
            hours = BillingRule.objects.create(
                contract=contract, name=hours_name, rule_type="time_material"
            )
            hours.projects.set(contract.projects.all())
        if code == "T1":
            BillingRuleCap.objects.create(rule=rule, category=supplies, amount=D("10000"))
    schedules = {
        "M1": [("Design approved", today - 60 * DAY, D("10000"), None), ("Delivery", today + 10 * DAY, D("20000"), None),
               ("Go-live", today + 55 * DAY, D("20000"), None)],
        "M2": [("At signing", start + 7 * DAY, None, D("20")), ("First delivery", today - 5 * DAY, None, D("30")),
               ("Second delivery", today + 40 * DAY, None, D("15")), ("Final acceptance", today + 210 * DAY, None, D("35"))],
    }  # fmt: skip
    for code, lines in schedules.items():
        contract = contracts[code]
        if contract.milestones.exists():
            continue
        for sequence, (description, due, amount, percent) in enumerate(lines, start=1):
            Milestone.objects.create(
                contract=contract,
                sequence=sequence,
                description=description,
                due_date=due,
                amount=amount,
                percent=percent,
            )


#: The demo's Riksbank rates: roughly the 2026 level, moving a little from day to day.
DEMO_RATES = {"EUR": D("11.2000"), "DKK": D("1.5015")}


@transaction.atomic
def demo_exchange_rates_create(*, today: datetime.date | None = None) -> int:
    """Riksbank rates of EUR and DKK in SEK for every weekday of the demo period up to today
    (the demo's P2, M1 and T1 contracts invoice in DKK and EUR from the Swedish entity, and
    posting needs a rate), entered by the demo clerk. Idempotent; returns how many it added."""
    today = today or timezone.localdate()
    start, _end = demo_contract_period(today)
    clerk = get_user_model().objects.get(username="clerk")
    stored = set(
        ExchangeRate.objects.filter(
            quote_currency="SEK", rate_date__gte=start - 7 * DAY
        ).values_list("currency", "rate_date")
    )
    new = []
    day = start - 7 * DAY
    while day <= today:
        if day.weekday() < 5:
            for currency, level in DEMO_RATES.items():
                if (currency, day) not in stored:
                    # A small, repeatable wobble (about ±0.5 %) so that the rates differ by day.
                    wobble = D((day.toordinal() * 37) % 101 - 50) / D(10000)
                    new.append(
                        ExchangeRate(
                            currency=currency,
                            quote_currency="SEK",
                            rate_date=day,
                            rate=(level * (1 + wobble)).quantize(D("0.0001")),
                            source=RateSource.RIKSBANKEN,
                            created_by=clerk,
                        )
                    )
        day += DAY
    bulk_create_with_history(new, ExchangeRate, default_user=clerk)
    return len(new)
