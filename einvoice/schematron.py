"""Compile an ISO Schematron schema (XSLT 2/3 query binding) into an XSLT 3.0 stylesheet that
writes SVRL, the way the ISO skeleton does, for the constructs the Peppol BIS rules and CEN's
pre-processed EN 16931 rules use (``rules.py`` says which files; the CEN one is checked against
CEN's own compiled XSLT by ``tests/einvoice/test_cen_equivalence.py``).

Pure: lxml in, bytes out; no Django. The output is deterministic (same .sch and same lxml give the
same bytes), so the compiled stylesheet can be committed next to its source and a test can prove
it is up to date (``python -m einvoice.rules``).

What the compiled stylesheet does, per ISO/IEC 19757-3 and as the skeleton implements it:

* schema-level and pattern-level ``let`` become global variables (evaluated with the document
  node as context), rule-level ``let`` local variables of the rule's template;
* ``xsl:function`` (and ``xsl:key``) elements at schema level are copied as they are;
* each pattern is one mode, and every pattern sees every node the skeleton's walk visits: the
  document node, its children, and every element and attribute below, in document order; each
  is given to the FIRST rule of the pattern whose context matches it (earlier rules have the
  higher priority), so a node fires at most one rule per pattern. The nodes are listed once per
  run (a global variable) and each mode applies its templates to that list, with no template
  walking down the tree and nothing done for a node no rule matches (``on-no-match``
  ``deep-skip``, and an empty rule for the document node, whose children deep-skip would still
  process): the same nodes, in the same order, as the skeleton's recursive walk, in about half
  the time, since Saxon no longer runs a walking template for every node of every pattern;
* a code-list test written the way CEN writes them, ``(not(contains(normalize-space(X), ' '))
  and contains(' A B C ', concat(' ', normalize-space(X), ' ')))`` ("X is one word, and one of
  the list's"), becomes a look-up in a map of the list's words, built once, at compile time
  (``map:contains($codes, normalize-space(X))``): the same truth for every X (a value with a
  space, an empty value, a part of a word are in neither), without scanning a string of up to
  8,500 characters for each quantity or amount, which is most of the CEN rules' time on an
  invoice of many lines. Only that exact shape, with the same X twice, no parenthesis in X and
  a list of words each between single spaces, is rewritten; anything else is compiled as
  written;
* a failing ``assert`` (or a true ``report``) writes ``svrl:failed-assert``
  (``svrl:successful-report``) with its ``id``, ``flag``, the node's ``location`` (XPath 3.0
  ``path()``) and its text (``name`` and ``value-of`` evaluated).

Not supported, and refused with ``SchematronNotSupported`` rather than compiled wrongly:
``include``, abstract patterns and rules (``extends``), a default phase other than ``#ALL``
(phases are otherwise ignored: every pattern runs), ``diagnostics``; a schema that needs them
can be pre-processed first (the CEN project publishes its rules pre-processed).
"""

from __future__ import annotations

import copy
import hashlib
import re

from lxml import etree

SCH = "http://purl.oclc.org/dsdl/schematron"
XSL = "http://www.w3.org/1999/XSL/Transform"
SVRL = "http://purl.oclc.org/dsdl/svrl"
XS = "http://www.w3.org/2001/XMLSchema"
GENERATOR = "einvoice.schematron 3"
#: The compiler's own names in the stylesheet (the list of nodes every pattern visits), in a
#: namespace of their own so that no ``let`` of a schema can clash with them.
COMPILER = "urn:x-einvoice:schematron-compiler"
PREFIX = "compiler"
NODES = f"{PREFIX}:nodes"


#: CEN's code-list test: the normalised value has no space, and is one of the list's words.
CODE_LIST_TEST = re.compile(
    r"\(not\(contains\(normalize-space\((?P<value>[^()]*)\), ' '\)\)"
    r" and contains\('(?P<codes>[^']*)', concat\(' ', normalize-space\((?P=value)\), ' '\)\)\)"
)
#: A list it may be rewritten for: words without white space, each between single spaces.
CODE_LIST = re.compile(r"( [^\s']+)+ ")
MAP_CONTAINS = "Q{http://www.w3.org/2005/xpath-functions/map}contains"


class SchematronNotSupported(ValueError):
    """The schema uses a Schematron construct this compiler does not implement."""


def _sch(name: str) -> str:
    return f"{{{SCH}}}{name}"


def _xsl(name: str) -> str:
    return f"{{{XSL}}}{name}"


def _svrl(name: str) -> str:
    return f"{{{SVRL}}}{name}"


def _refuse_unsupported(schema: etree._Element) -> None:
    for name in ("include", "diagnostics", "extends"):
        if schema.find(f".//{_sch(name)}") is not None:
            raise SchematronNotSupported(f"<{name}> is not supported; pre-process the schema")
    if schema.get("defaultPhase", "#ALL") != "#ALL":
        raise SchematronNotSupported("phases are not supported: every pattern is always active")
    for element in schema.iter(_sch("pattern"), _sch("rule")):
        if element.get("abstract") == "true" or element.get("is-a"):
            raise SchematronNotSupported("abstract patterns and rules are not supported")
    binding = (schema.get("queryBinding") or "xslt").lower()
    if binding not in ("xslt2", "xslt3"):
        raise SchematronNotSupported(f"query binding {binding!r}: only xslt2 and xslt3")


def _variable(parent: etree._Element, let: etree._Element) -> None:
    variable = etree.SubElement(parent, _xsl("variable"), name=let.get("name"))
    if let.get("value") is not None:
        variable.set("select", let.get("value"))
    else:  # the value is the let's content (a constructed tree)
        for child in let:
            variable.append(copy.deepcopy(child))
        variable.text = let.text


def _message(parent: etree._Element, check: etree._Element) -> None:
    """svrl:text with the assertion's text; <name/> and <value-of/> are evaluated."""
    text = etree.SubElement(parent, _svrl("text"))
    text.text = check.text
    for child in check:
        if child.tag == _sch("name"):
            etree.SubElement(text, _xsl("value-of"), select=f"name({child.get('path', '.')})")
        elif child.tag == _sch("value-of"):
            etree.SubElement(text, _xsl("value-of"), select=child.get("select"))
        elif isinstance(child.tag, str):  # emph, dir, span: their words only
            etree.SubElement(text, _xsl("text")).text = "".join(child.itertext())
        else:  # a comment or a processing instruction inside the text
            etree.SubElement(text, _xsl("text")).text = ""
        last = text[-1]
        last.tail = child.tail


def _code_lists_looked_up(test: str, code_lists: dict[str, str]) -> str:
    """The test with each of CEN's code-list tests (``CODE_LIST_TEST``) a map look-up; the
    map of each distinct list is a global variable, named in ``code_lists`` (list -> name)."""

    def looked_up(match: re.Match) -> str:
        if not CODE_LIST.fullmatch(match["codes"]):
            return match[0]
        name = code_lists.setdefault(match["codes"], f"{PREFIX}:codes-{len(code_lists) + 1}")
        return f"({MAP_CONTAINS}(${name}, normalize-space({match['value']})))"

    return CODE_LIST_TEST.sub(looked_up, test)


def _code_list_variable(stylesheet: etree._Element, codes: str, name: str) -> None:
    words = dict.fromkeys(codes.split())  # in order, each once (a map has each key once)
    entries = ",".join(f"'{word}':true()" for word in words)
    etree.SubElement(stylesheet, _xsl("variable"), name=name, select=f"map{{{entries}}}")


def _check(template: etree._Element, check: etree._Element, code_lists: dict[str, str]) -> None:
    is_assert = check.tag == _sch("assert")
    choose = etree.SubElement(template, _xsl("choose"))
    test = _code_lists_looked_up(check.get("test"), code_lists)
    quiet = etree.SubElement(choose, _xsl("when"), test=test)
    loud = etree.SubElement(choose, _xsl("otherwise"))
    if not is_assert:  # a report speaks when its test is true
        quiet, loud = loud, quiet
    result = etree.SubElement(loud, _svrl("failed-assert" if is_assert else "successful-report"))
    for attribute in ("id", "flag", "role"):
        if check.get(attribute) is not None:
            etree.SubElement(result, _xsl("attribute"), name=attribute).text = check.get(attribute)
    etree.SubElement(result, _xsl("attribute"), name="location", select="path()")
    _message(result, check)


def _pattern(
    stylesheet: etree._Element, pattern: etree._Element, mode: str, code_lists: dict[str, str]
) -> None:
    etree.SubElement(stylesheet, _xsl("mode"), name=mode, **{"on-no-match": "deep-skip"})
    rules = pattern.findall(_sch("rule"))
    for index, rule in enumerate(rules):
        template = etree.SubElement(
            stylesheet,
            _xsl("template"),
            match=rule.get("context"),
            mode=mode,
            priority=str(1000 + len(rules) - index),
        )
        for child in rule:
            if child.tag == _sch("let"):
                _variable(template, child)
            elif child.tag in (_sch("assert"), _sch("report")):
                _check(template, child, code_lists)
    # The document node is in the list too (a rule may match it); XSLT's deep-skip would still
    # process its children, which the list already holds, so it gets an empty rule of its own.
    etree.SubElement(
        stylesheet, _xsl("template"), match="document-node()", mode=mode, priority="-1"
    )


def schematron_compile(schema_bytes: bytes, *, source_name: str = "") -> bytes:
    """The XSLT 3.0 stylesheet (UTF-8 bytes) that validates a document against the schema and
    writes SVRL (failed asserts and successful reports only)."""
    schema = etree.fromstring(schema_bytes)
    if schema.tag != _sch("schema"):
        raise SchematronNotSupported("not an ISO Schematron schema")
    _refuse_unsupported(schema)
    namespaces = {"xsl": XSL, "svrl": SVRL, "xs": XS, "compiler": COMPILER}
    for declaration in schema.findall(_sch("ns")):
        prefix, uri = declaration.get("prefix"), declaration.get("uri")
        if namespaces.get(prefix, uri) != uri:
            raise SchematronNotSupported(f"the prefix {prefix!r} is the compiler's own")
        namespaces[prefix] = uri
    stylesheet = etree.Element(_xsl("stylesheet"), nsmap=namespaces)
    stylesheet.set("version", "3.0")
    stylesheet.set("exclude-result-prefixes", "#all")
    digest = hashlib.sha256(schema_bytes).hexdigest()
    stylesheet.append(
        etree.Comment(
            f" Generated by {GENERATOR} from {source_name or 'a Schematron schema'}"
            f" (sha256 {digest}). Do not edit: run `make einvoice-rules`. "
        )
    )
    etree.SubElement(stylesheet, _xsl("output"), method="xml", indent="no")
    for child in schema:
        if child.tag == _sch("let"):
            _variable(stylesheet, child)
        elif child.tag in (_xsl("function"), _xsl("key")):
            stylesheet.append(copy.deepcopy(child))
    patterns = schema.findall(_sch("pattern"))
    for pattern in patterns:
        for let in pattern.findall(_sch("let")):
            _variable(stylesheet, let)

    # What the skeleton's walk visits: the document node, its children (the root element, and
    # any comment or processing instruction beside it), every element and attribute below.
    etree.SubElement(stylesheet, _xsl("variable"), name=NODES, select="/ | /node() | //(*|@*)")
    root = etree.SubElement(stylesheet, _xsl("template"), match="/")
    output = etree.SubElement(root, _svrl("schematron-output"))
    title = schema.find(_sch("title"))
    if title is not None and title.text:
        output.set("title", title.text.strip())
    for number, pattern in enumerate(patterns, start=1):
        active = etree.SubElement(output, _svrl("active-pattern"))
        active.set("id", pattern.get("id") or f"M{number}")
        etree.SubElement(output, _xsl("apply-templates"), select=f"${NODES}", mode=f"M{number}")
    code_lists: dict[str, str] = {}
    for number, pattern in enumerate(patterns, start=1):
        _pattern(stylesheet, pattern, f"M{number}", code_lists)
    for codes, name in code_lists.items():
        _code_list_variable(stylesheet, codes, name)
    etree.cleanup_namespaces(stylesheet, keep_ns_prefixes=list(namespaces))
    return etree.tostring(stylesheet, xml_declaration=True, encoding="UTF-8", pretty_print=True)
