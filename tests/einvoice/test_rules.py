"""The Schematron compiler: the committed Peppol and CEN stylesheets are exactly what it makes
from the vendored .sch files, and the stylesheets it makes behave as ISO Schematron says. (That
our CEN stylesheet gives the verdicts of CEN's own compiled XSLT: test_cen_equivalence.py.)"""

from __future__ import annotations

import pytest
from saxonche import PySaxonProcessor

from einvoice import rules
from einvoice.schematron import SchematronNotSupported, schematron_compile
from einvoice.validation import svrl_findings


@pytest.mark.parametrize(
    "schematron", [rules.PEPPOL_UBL_SCH, rules.CEN_UBL_SCH], ids=lambda path: path.name
)
def test_each_committed_stylesheet_is_what_the_compiler_makes_from_its_sch(schematron):
    assert rules.compiled_stylesheets()[schematron] == schematron.with_suffix(".xslt")
    assert schematron.with_suffix(".xslt").read_bytes() == rules.stylesheet_compiled(schematron)


def test_the_check_command_says_so(capsys):
    assert rules.main(["--check"]) == 0
    out = capsys.readouterr().out
    assert "PEPPOL-EN16931-UBL.xslt is up to date" in out
    assert "EN16931-UBL-validation-preprocessed.xslt is up to date" in out


def test_the_command_writes_the_stylesheets_and_notices_a_stale_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(rules, "PEPPOL_UBL_XSLT", tmp_path / "PEPPOL-EN16931-UBL.xslt")
    monkeypatch.setattr(rules, "CEN_UBL_XSLT", tmp_path / "EN16931-UBL-validation.xslt")
    assert rules.main([]) == 0
    assert (
        rules.PEPPOL_UBL_XSLT.read_bytes() == rules.PEPPOL_UBL_SCH.with_suffix(".xslt").read_bytes()
    )
    assert rules.CEN_UBL_XSLT.read_bytes() == rules.CEN_UBL_SCH.with_suffix(".xslt").read_bytes()
    target = rules.CEN_UBL_XSLT
    target.write_bytes(target.read_bytes().replace(b"BR-CO-16", b"BR-CO-61"))
    assert rules.main(["--check"]) == 1
    assert f"{target} is stale: run `make einvoice-rules`" in capsys.readouterr().err


def test_every_vendored_rule_file_has_its_licence_or_its_provenance():
    readme = (rules.RULESETS / "README.md").read_text()
    assert (rules.CEN_UBL_SCH.parent / "LICENSE.txt").exists()
    for path in (
        rules.CEN_UBL_OFFICIAL_XSLT,
        rules.CEN_UBL_SCH,
        rules.CEN_UBL_XSLT,
        rules.CEN_CII_XSLT,
        rules.PEPPOL_UBL_SCH,
        rules.PEPPOL_UBL_XSLT,
    ):
        assert path.exists() and path.name in readme


SCHEMA = b"""<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <ns prefix="x" uri="urn:x"/>
  <let name="limit" value="2"/>
  <pattern>
    <let name="total" value="count(//x:item)"/>
    <rule context="x:item[@special]">
      <assert id="SPECIAL" test="@special = 'yes'" flag="warning">Special is <value-of
        select="@special"/> on <name/>.</assert>
    </rule>
    <rule context="x:item">
      <let name="value" value="number(.)"/>
      <assert id="SMALL" test="$value &lt;= $limit" flag="fatal">Item <value-of
        select="$value"/> exceeds <value-of select="$limit"/>.</assert>
      <report id="LAST" test="not(following-sibling::x:item)">Last of <value-of
        select="$total"/>.</report>
    </rule>
  </pattern>
  <pattern id="second">
    <rule context="x:item">
      <assert id="SEEN" test="false()" flag="fatal">Every pattern sees every node.</assert>
    </rule>
  </pattern>
</schema>"""

DOCUMENT = '<list xmlns="urn:x"><item>1</item><item special="no">9</item><item>3</item></list>'


@pytest.fixture(scope="module")
def run():
    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()

    def run(schema: bytes, document: str):
        executable = compiler.compile_stylesheet(
            stylesheet_text=schematron_compile(schema).decode()
        )
        svrl = executable.transform_to_string(xdm_node=processor.parse_xml(xml_text=document))
        return [
            (finding.rule_id, finding.flag, finding.text, finding.location)
            for finding in svrl_findings(svrl.encode(), source="test")
        ]

    return run


def test_a_compiled_schema_behaves_as_iso_schematron(run):
    assert run(SCHEMA, DOCUMENT) == [
        # pattern 1, in document order: the first matching rule only (9 is not SMALL-checked)
        ("SPECIAL", "warning", "Special is no on item.", "/*:list/*:item[2]"),
        ("SMALL", "fatal", "Item 3 exceeds 2.", "/*:list/*:item[3]"),
        ("LAST", "fatal", "Last of 3.", "/*:list/*:item[3]"),
        # pattern 2 walks the whole document again
        ("SEEN", "fatal", "Every pattern sees every node.", "/*:list/*:item[1]"),
        ("SEEN", "fatal", "Every pattern sees every node.", "/*:list/*:item[2]"),
        ("SEEN", "fatal", "Every pattern sees every node.", "/*:list/*:item[3]"),
    ]


def test_every_pattern_visits_the_document_its_root_and_attributes_once(run):
    """The compiled stylesheet hands each pattern a list of the nodes the ISO skeleton's walk
    visits rather than walking the tree in every pattern: the document node, the root element
    and every attribute still fire their rule once, in document order."""
    schema = b"""<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
      <ns prefix="x" uri="urn:x"/>
      <pattern>
        <rule context="/"><report id="DOCUMENT" test="true()">document</report></rule>
        <rule context="x:list"><report id="ROOT" test="true()">root</report></rule>
        <rule context="@special"><report id="ATTRIBUTE" test="true()">attribute</report></rule>
        <rule context="x:item"><report id="ITEM" test="@special">item</report></rule>
      </pattern>
    </schema>"""
    assert [(rule_id, location) for rule_id, _flag, _text, location in run(schema, DOCUMENT)] == [
        ("DOCUMENT", "/"),
        ("ROOT", "/*:list"),
        ("ITEM", "/*:list/*:item[2]"),
        ("ATTRIBUTE", "/*:list/*:item[2]/@special"),
    ]


CODE_LIST_SCHEMA = """<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <ns prefix="x" uri="urn:x"/>
  <pattern>
    <rule context="x:item">
      <assert id="CODE" test="{test}">Not a code.</assert>
    </rule>
  </pattern>
</schema>"""
CEN_SHAPE = (
    "((not(contains(normalize-space(@code), ' ')) and contains('{codes}',"
    " concat(' ', normalize-space(@code), ' '))))"
)
CODE_VALUES = ["AED", " AED ", "\tZAR\n", "AE", "ED", "AED ZAR", "", "aed", "ZAR", "XXX", "AED-"]


def code_list_document(values) -> str:
    items = "".join(f'<item code="{value}"/>' for value in values)
    return f'<list xmlns="urn:x">{items}<item/></list>'


@pytest.mark.parametrize("codes", [" AED AFN ZAR ", " AED  ZAR ", " AED&#9;ZAR "], ids=repr)
def test_a_code_list_test_looked_up_in_a_map_gives_what_contains_gives(run, codes):
    """CEN's code-list tests become map look-ups (when the list is words between single
    spaces); the same values fail as with ``contains`` over the list, written so that the
    compiler leaves it as it is (no space after the comma)."""
    looked_up = CODE_LIST_SCHEMA.format(test=CEN_SHAPE.format(codes=codes)).encode()
    as_written = looked_up.replace(b"',  concat", b"',concat").replace(b"', concat", b"',concat")
    rewritten = b"map}contains" in schematron_compile(looked_up)
    assert rewritten == (codes == " AED AFN ZAR ")
    assert b"map}contains" not in schematron_compile(as_written)
    document = code_list_document(CODE_VALUES)
    assert run(looked_up, document) == run(as_written, document)
    failed = {location for *_, location in run(looked_up, document)}
    if codes == " AED AFN ZAR ":  # one word of the list, white space around it trimmed
        assert failed == {f"/*:list/*:item[{n}]" for n in (4, 5, 6, 7, 8, 10, 11, 12)}


def test_a_schema_cannot_take_the_compilers_own_prefix():
    schema = (
        b'<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">'
        b'<ns prefix="compiler" uri="urn:mine"/></schema>'
    )
    with pytest.raises(SchematronNotSupported, match="compiler"):
        schematron_compile(schema)


@pytest.mark.parametrize(
    "construct",
    [
        b'<include href="other.sch"/>',
        b'<pattern abstract="true" id="a"/>',
        b'<phase id="p"/><pattern id="a"/>',
        b'<pattern><rule abstract="true" id="r"/><rule context="a"><extends rule="r"/></rule>'
        b"</pattern>",
    ],
)
def test_constructs_it_does_not_implement_are_refused(construct):
    schema = (
        b'<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2"'
        + (b' defaultPhase="p">' if b"<phase" in construct else b">")
        + construct
        + b"</schema>"
    )
    with pytest.raises(SchematronNotSupported):
        schematron_compile(schema)


def test_an_xpath1_schema_is_refused():
    with pytest.raises(SchematronNotSupported):
        schematron_compile(b'<schema xmlns="http://purl.oclc.org/dsdl/schematron"/>')
