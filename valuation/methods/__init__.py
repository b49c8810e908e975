"""Pure-Python valuation and quality-grading calculators (no Django imports).

Modules: :mod:`~valuation.methods.quality` (GB/T 36344 grading), :mod:`~valuation.methods.cost`,
:mod:`~valuation.methods.income`, :mod:`~valuation.methods.market`,
:mod:`~valuation.methods.reconcile` (weighting and sensitivity),
:mod:`~valuation.methods.accounting` (amortisation), :mod:`~valuation.methods.payload` (the
preview API contract), with the shared
:mod:`~valuation.methods.money` (Decimal parsing and rounding), :mod:`~valuation.methods.checks`
and :mod:`~valuation.methods.errors`. Each calculator takes a frozen dataclass of Decimals and
returns a frozen result with ``value``, every intermediate and a human-readable ``formula``.
"""
