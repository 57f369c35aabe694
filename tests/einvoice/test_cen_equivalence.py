"""The CEN EN 16931 UBL rules the validator runs are our compile of CEN's pre-processed
Schematron (``rules.CEN_UBL_XSLT``); CEN's own compiled XSLT (``rules.CEN_UBL_OFFICIAL_XSLT``,
ISO skeleton) is kept to prove the two give the same verdicts:

* statically: the .sch holds the official XSLT's rules, pattern by pattern and in the same
  order (the first matching rule of a pattern wins), each with the same asserts (id, flag,
  test, text);
* on documents: on every CEN unit-test case, every Peppol unit-test case and example, and on
  invoices and credit notes drawn by hypothesis the way posting builds them (valid ones, and
  the same broken by random edits), both fire the same failed asserts, in the same order, with
  the same id, flag, location and text, or both fail to evaluate the document.

``make test`` runs every fourth unit-test file and 25 drawn documents; ``make soak``
(EINVOICE_UNIT_TESTS=all) every case and 300 drawn documents.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from saxonche import PySaxonApiError, PySaxonProcessor

from einvoice import rules
from einvoice.ubl import ubl_bytes
from invoicing.invoices.einvoices import document_of_record
from tests.einvoice.test_unit_tests import RUN_ALL
from tests.einvoice.unit_tests import DATA, EXAMPLES, unit_test_files, unit_tests
from tests.invoicing.invoices.test_einvoice_properties import invoice_record, records

SCH = "{http://purl.oclc.org/dsdl/schematron}"
XSL = "{http://www.w3.org/1999/XSL/Transform}"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
EVALUATION_FAILED = ("EVALUATION-FAILED",)


def xpath_spaces_collapsed(expression: str) -> str:
    """The expression with runs of white space outside string literals as one space: the ISO
    skeleton's output collapses them, a difference of layout, not of meaning."""
    parts = re.split(r"""('[^']*'|"[^"]*")""", expression)
    return "".join(
        part if index % 2 else re.sub(r"\s+", " ", part) for index, part in enumerate(parts)
    ).strip()


def words(text: str | None) -> str:
    return " ".join((text or "").split())


def schematron_rules() -> list[tuple]:
    schema = etree.parse(str(rules.CEN_UBL_SCH)).getroot()
    return [
        (
            number,
            rule.get("context"),
            [
                (
                    check.get("id"),
                    check.get("flag"),
                    xpath_spaces_collapsed(check.get("test")),
                    words("".join(check.itertext())),
                )
                for check in rule
                if check.tag in (f"{SCH}assert", f"{SCH}report")
            ],
        )
        for number, pattern in enumerate(schema.iter(f"{SCH}pattern"), start=1)
        for rule in pattern.findall(f"{SCH}rule")
    ]


def official_rules() -> list[tuple]:
    """The rule templates of CEN's XSLT, per pattern mode, highest priority (first rule) first;
    the skeleton's own templates (negative priorities, other modes) left out."""
    stylesheet = etree.parse(str(rules.CEN_UBL_OFFICIAL_XSLT)).getroot()
    templates = [
        template
        for template in stylesheet.findall(f"{XSL}template")
        if re.fullmatch(r"M\d+", template.get("mode") or "")
        and not template.get("priority", "-").startswith("-")
    ]
    modes = sorted({template.get("mode") for template in templates}, key=lambda m: int(m[1:]))
    templates.sort(key=lambda t: (int(t.get("mode")[1:]), -int(t.get("priority"))))
    found = []
    for template in templates:
        checks = []
        for result in template.iter(f"{SVRL}failed-assert", f"{SVRL}successful-report"):
            attributes = {a.get("name"): a.text for a in result.findall(f"{XSL}attribute")}
            checks.append(
                (
                    attributes.get("id"),
                    attributes.get("flag"),
                    xpath_spaces_collapsed(result.get("test")),
                    words(result.findtext(f"{SVRL}text")),
                )
            )
        found.append((modes.index(template.get("mode")) + 1, template.get("match"), checks))
    return found


def test_the_schematron_we_compile_holds_exactly_the_rules_of_cens_own_xslt():
    ours, theirs = schematron_rules(), official_rules()
    assert len(ours) == 104 and sum(len(checks) for *_, checks in ours) == 979
    assert ours == theirs


def test_the_comparison_of_rules_notices_a_changed_assert():
    ours = schematron_rules()
    number, context, checks = ours[0]
    changed = [(number, context, [(*checks[0][:2], "true()", checks[0][3]), *checks[1:]])]
    assert changed + ours[1:] != official_rules()


# -- the same verdicts on documents ----------------------------------------------------------


def canonical_location(location: str) -> str:
    """The ISO skeleton's location (``/*:Invoice[namespace-uri()='U'][1]``, attributes
    ``@*[local-name()='a' and namespace-uri()='U']``) and XPath 3.0 ``path()`` (ours:
    ``/Q{U}Invoice[1]``, ``Q{}name[1]`` without a namespace) written the same way."""
    location = re.sub(r"\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]", r"Q{\2}\1", location)
    location = re.sub(
        r"@\*\[local-name\(\)='([\w.-]+)' and namespace-uri\(\)='([^']*)'\]", r"@Q{\2}\1", location
    )
    return location.replace("Q{}", "")


def test_both_ways_of_writing_a_location_are_one():
    skeleton = (
        "/*:Invoice[namespace-uri()='urn:i'][1]/*:Note[namespace-uri()='urn:b'][2]"
        "/@*[local-name()='lang' and namespace-uri()='urn:x']"
    )
    assert canonical_location(skeleton) == "/Q{urn:i}Invoice[1]/Q{urn:b}Note[2]/@Q{urn:x}lang"
    assert canonical_location("/Q{urn:i}Invoice[1]/Q{}plain[1]/@id") == canonical_location(
        "/*:Invoice[namespace-uri()='urn:i'][1]/plain[1]/@id"
    )


@pytest.fixture(scope="module")
def run_both():
    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    ours = compiler.compile_stylesheet(stylesheet_file=str(rules.CEN_UBL_XSLT))
    theirs = compiler.compile_stylesheet(stylesheet_file=str(rules.CEN_UBL_OFFICIAL_XSLT))

    def fired(executable, node) -> list[tuple] | tuple:
        try:
            svrl = executable.transform_to_string(xdm_node=node)
        except PySaxonApiError:
            return EVALUATION_FAILED
        report = etree.fromstring(svrl.encode())
        return [
            (
                etree.QName(result).localname,
                result.get("id"),
                result.get("flag"),
                canonical_location(result.get("location")),
                words(result.findtext(f"{SVRL}text")),
            )
            for result in report.iter(f"{SVRL}failed-assert", f"{SVRL}successful-report")
        ]

    def run_both(document: bytes):
        node = processor.parse_xml(xml_text=document.decode("utf-8-sig"))
        return fired(ours, node), fired(theirs, node)

    return run_both


def unit_test_params():
    files = unit_test_files()
    chosen = files if RUN_ALL else files[::4]
    return [pytest.param(path, id=str(path.relative_to(DATA))) for path in chosen]


@pytest.mark.parametrize("path", unit_test_params())
def test_both_fire_the_same_asserts_at_the_same_places_on_each_unit_test(path, run_both):
    differences = {}
    fired_any = False
    for case in unit_tests(path):
        ours, theirs = run_both(case.document)
        fired_any = fired_any or bool(theirs)
        if ours != theirs:
            differences[case.name] = (ours, theirs)
    assert differences == {}
    if path.parent.parent.name.startswith("cen-"):
        assert fired_any  # each CEN file has a case that breaks its rule


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.xml")), ids=lambda path: path.name)
def test_both_fire_nothing_on_the_peppol_examples(path, run_both):
    ours, theirs = run_both(path.read_bytes())
    assert ours == theirs == []


# Values an edit writes: numbers, and codes in and out of the code lists, as a list's word, in
# lower case, padded, two words, part of a word.
TEXTS = ["", "0", "-1", "100.005", "1000", "X", "ZZ", "380", "381", "S", "s", "AE", "A E", "58"]
ATTRIBUTE_VALUES = ["", "EUR", "eur", " EUR ", "EUR SEK", "EU", "0088", "XYZ", "9999", "HUR", "C6"]


@st.composite
def broken(draw, document: bytes) -> bytes:
    """The document with one to three random edits: an element removed or duplicated, a leaf
    element's text or an attribute's value replaced (by a number, or a code in or out of the
    code lists, as a list's word, in lower case, padded, two words, part of a word)."""
    root = etree.fromstring(document)
    for _ in range(draw(st.integers(1, 3))):
        elements = [element for element in root.iter() if element is not root]
        edit = draw(st.sampled_from(["remove", "duplicate", "text", "attribute"]))
        if edit == "text":
            element = draw(st.sampled_from([element for element in elements if len(element) == 0]))
            element.text = draw(st.sampled_from(TEXTS))
        elif edit == "attribute":
            element = draw(st.sampled_from([element for element in elements if element.attrib]))
            name = draw(st.sampled_from(sorted(element.attrib)))
            element.set(name, draw(st.sampled_from(ATTRIBUTE_VALUES)))
        else:
            element = draw(st.sampled_from(elements))
            if edit == "remove":
                element.getparent().remove(element)
            else:
                element.addnext(etree.fromstring(etree.tostring(element)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@st.composite
def posted_documents(draw) -> bytes:
    invoice, lines, taxes = invoice_record(*draw(records()))
    document = ubl_bytes(document_of_record(invoice, lines, taxes))
    return draw(st.one_of(st.just(document), broken(document)))


@settings(
    max_examples=300 if RUN_ALL else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(posted_documents())
def test_both_fire_the_same_asserts_on_documents_posting_would_build(run_both, document):
    ours, theirs = run_both(document)
    assert ours == theirs, document.decode()
