"""The bank-facing REST API (/api/v1/): the public register of data assets, their pledge status
(one number or a thousand at once), the search by pledgor, and pledge filings by pledgee banks.

Views (`views.py`) are thin: they validate with an input serializer, call one selector
(`selectors.py`) or one service (`registry.pledge_services`), and answer with an output serializer.
Every read by an API-key client is logged (`read_log.py`), every caller is rate-limited per key
(`throttling.py`), and errors share the envelope of `registry.api_errors`.
"""
