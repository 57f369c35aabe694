# Danish dates are written 31.12.2026 (also 31-12-2026 or 31/12/2026); ISO is read too.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"]
