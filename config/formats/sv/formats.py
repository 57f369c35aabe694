# Swedish dates are ISO 8601 (SS-ISO 8601): 2026-12-31, also typed without dashes. Django's own
# Swedish module also reads 12/31/2026 as an American date; a Swedish clerk never means that.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y%m%d"]
