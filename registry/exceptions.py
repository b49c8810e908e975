"""Domain errors of the registry. Views map them to messages (admin) or HTTP errors (API).

Pledges and valuation raise these too (a refused step is a refused step, whichever domain
refuses it); their base, `core.exceptions.DomainError`, is what faces catch."""

from core.exceptions import DomainError


class RegistryError(DomainError):
    """Base of every registry domain error; `code` is a stable identifier for API clients."""

    code = "registry_error"


class InvalidTransition(RegistryError):
    """The asset's current status does not allow the requested workflow step."""

    code = "invalid_transition"


class TransitionBlocked(RegistryError):
    """The status allows the step but a rule blocks it now (period running, open objection...)."""

    code = "transition_blocked"


class NotPermitted(RegistryError):
    """The acting user's role or organisation may not perform this operation."""

    code = "not_permitted"


class IncompleteApplication(RegistryError):
    """Submission refused: required material is missing (listed in one notice)."""

    code = "incomplete_application"

    def __init__(self, missing: dict[str, str]):
        self.missing = missing
        listing = "；".join(f"{field}: {msg}" for field, msg in missing.items())
        super().__init__(f"申请材料不齐全 (application incomplete): {listing}")
