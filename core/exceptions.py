"""The base of every domain error. Faces map them to messages (admin, pages) or HTTP errors (API)
without knowing which domain raised them."""


class DomainError(Exception):
    """Base of every domain error; `code` is a stable identifier for API clients."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
