"""Domain errors of the registry. Views map them to messages (admin) or HTTP errors (API)."""


class RegistryError(Exception):
    """Base of every registry domain error; `code` is a stable identifier for API clients."""

    code = "registry_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


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
