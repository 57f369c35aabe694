"""Bank files (issue 15, item 3): the bank's record of incoming payments, read, matched to
open invoices and booked as payments through ``receivables.payments.payment_record``.

- ``statement.py``: what every format reads into (pure dataclasses) and the file error;
- ``reading.py``: either format, told from the content;
- ``bgmax.py``: Bankgirot BgMax, read and written (pure);
- ``camt054.py``: ISO 20022 camt.054 credit notifications, read (pure, lxml);
- ``matching.py``: which open invoices each payment pays (pure);
- ``models.py``, ``services.py``, ``selectors.py``: the imported files and their payments;
- ``views.py``, ``forms.py``, ``urls.py``: the finance pages.
"""
