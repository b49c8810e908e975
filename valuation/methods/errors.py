"""The one error the valuation and grading calculators raise.

Every refusal names the offending input by a dotted path relative to the request body of the
preview API (domain.md section 9), e.g. ``costs.direct``, ``periods.2.income``,
``comparables.0.weight`` or ``weights.accuracy``. Indices in paths are 0-based, like the JSON
arrays they point into. An API layer can therefore turn the error into a 400 response
``{"field": error.field, "message": error.message}`` without knowing which calculator ran.
"""

from __future__ import annotations


class CalculationInputError(ValueError):
    """An input to a calculator is missing, malformed or outside its allowed range."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[type[CalculationInputError], tuple[str, str]]:
        # The two-argument constructor would otherwise break pickling (e.g. in task queues).
        return (type(self), (self.field, self.message))
