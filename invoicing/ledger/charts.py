"""The charts of accounts the ledger starts from (docs/ledger.md says why each account):
the Swedish BAS chart for Swedish entities (and, until finance maps its own, for entities of
other countries) and the Danish public standard chart (Erhvervsstyrelsen's
standardkontoplan) for Danish ones. Pure: no Django.

Finance edits the mapping per legal entity afterwards; these are only where it starts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from invoicing.ledger.vouchers import AccountMap, Purpose, Rule


@dataclass(frozen=True)
class StandardChart:
    key: str
    name: str
    accounts: dict[str, str]
    rules: tuple[Rule, ...]

    def account_map(self) -> AccountMap:
        single = {
            rule.purpose: rule.account for rule in self.rules if rule.purpose in Purpose.SINGLE
        }
        others = tuple(rule for rule in self.rules if rule.purpose not in Purpose.SINGLE)
        return AccountMap(single=single, rules=others, names=dict(self.accounts))


def _single(purpose: str, account: str) -> Rule:
    return Rule(purpose, account)


def _revenue(account: str, vat_category: str = "", rate: str | None = None, kind: str = "") -> Rule:
    return Rule(
        Purpose.REVENUE,
        account,
        kind=kind,
        vat_category=vat_category,
        vat_rate=None if rate is None else Decimal(rate),
    )


def _vat(account: str, vat_category: str = "", rate: str | None = None) -> Rule:
    return Rule(
        Purpose.OUTPUT_VAT,
        account,
        vat_category=vat_category,
        vat_rate=None if rate is None else Decimal(rate),
    )


BAS = StandardChart(
    key="bas",
    name="BAS (Sweden)",
    accounts={
        "1510": "Kundfordringar",
        "1518": "Ej reskontraförda kundfordringar",
        "1930": "Företagskonto/checkkonto/affärskonto",
        "2420": "Förskott från kunder",
        "2450": "Fakturerad men ej upparbetad intäkt",
        "2611": "Utgående moms på försäljning inom Sverige, 25 %",
        "2621": "Utgående moms på försäljning inom Sverige, 12 %",
        "2631": "Utgående moms på försäljning inom Sverige, 6 %",
        "3001": "Försäljning inom Sverige, 25 % moms",
        "3002": "Försäljning inom Sverige, 12 % moms",
        "3003": "Försäljning inom Sverige, 6 % moms",
        "3004": "Försäljning inom Sverige, momsfri",
        "3105": "Försäljning varor till land utanför EU",
        "3108": "Försäljning varor till annat EU-land, momsfri",
        "3231": "Försäljning inom byggsektorn, omvänd skattskyldighet moms",
        "3305": "Försäljning tjänster till land utanför EU",
        "3308": "Försäljning tjänster till annat EU-land",
        "3740": "Öres- och kronutjämning",
        "3960": "Valutakursvinster på fordringar och skulder av rörelsekaraktär",
        "3990": "Övriga ersättningar och intäkter",
        "7960": "Valutakursförluster på fordringar och skulder av rörelsekaraktär",
        "7990": "Övriga rörelsekostnader",
    },
    rules=(
        _single(Purpose.RECEIVABLES, "1510"),
        _single(Purpose.BANK, "1930"),
        _single(Purpose.RETENTION, "1518"),
        _single(Purpose.PREPAYMENT, "2450"),
        _single(Purpose.CUSTOMER_CREDIT, "2420"),
        _single(Purpose.ROUNDING, "3740"),
        _single(Purpose.EXCHANGE_GAIN, "3960"),
        _single(Purpose.EXCHANGE_LOSS, "7960"),
        _single(Purpose.INTERNAL_DEBIT, "7990"),
        _single(Purpose.INTERNAL_CREDIT, "3990"),
        _revenue("3001"),
        _revenue("3001", "S", "25"),
        _revenue("3002", "S", "12"),
        _revenue("3003", "S", "6"),
        _revenue("3004", "E"),
        _revenue("3004", "Z"),
        _revenue("3231", "AE"),
        _revenue("3308", "K"),
        _revenue("3108", "K", kind="item"),
        _revenue("3305", "G"),
        _revenue("3105", "G", kind="item"),
        _revenue("3305", "O"),
        _vat("2611"),
        _vat("2611", "S", "25"),
        _vat("2621", "S", "12"),
        _vat("2631", "S", "6"),
    ),
)

DANISH = StandardChart(
    key="dk",
    name="Standardkontoplan (Denmark)",
    accounts={
        "1010": "Salg af varer og ydelser",
        "1050": "Salg af varer udland, EU",
        "1100": "Salg af varer udland, ikke-EU",
        "1150": "Salg af ydelser udland, EU",
        "1200": "Salg af ydelser udland, ikke-EU",
        "1550": "Øvrige andre driftsindtægter",
        "2720": "Øreafrunding/kassedifferencer",
        "2810": "Andre eksterne omkostninger",
        "3610": "Valutakursreguleringer",
        "6190": "Tilgodehavender fra salg og tjenesteydelser",
        "6330": "Øvrige tilgodehavender (kortfristede)",
        "6480": "Bank",
        "7410": "Modtagne forudbetalinger fra kunder",
        "7680": "Salgsmoms",
    },
    rules=(
        _single(Purpose.RECEIVABLES, "6190"),
        _single(Purpose.BANK, "6480"),
        _single(Purpose.RETENTION, "6330"),
        _single(Purpose.PREPAYMENT, "7410"),
        _single(Purpose.CUSTOMER_CREDIT, "7410"),
        _single(Purpose.ROUNDING, "2720"),
        _single(Purpose.EXCHANGE_GAIN, "3610"),
        _single(Purpose.EXCHANGE_LOSS, "3610"),
        _single(Purpose.INTERNAL_DEBIT, "2810"),
        _single(Purpose.INTERNAL_CREDIT, "1550"),
        _revenue("1010"),
        _revenue("1150", "K"),
        _revenue("1050", "K", kind="item"),
        _revenue("1200", "G"),
        _revenue("1100", "G", kind="item"),
        _revenue("1200", "O"),
        _vat("7680"),
    ),
)

CHARTS = {chart.key: chart for chart in (BAS, DANISH)}


def standard_chart_for(country: str) -> StandardChart:
    """Denmark starts from the Danish standard chart; every other country from BAS."""
    return DANISH if str(country).upper() == "DK" else BAS
