"""E-invoices: offline validation of UBL 2.1 invoices and credit notes against the UBL XML
Schema, the CEN EN 16931 rules and the Peppol BIS Billing 3.0 rules (``validation``), the
Schematron compiler that turns the Peppol rules into XSLT (``schematron``, ``rules``), and the
Nordic payment references (``references``). Pure: no ORM; see docs/einvoice.md."""
