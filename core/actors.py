"""Who acts: what the services need to know of whoever performs a step.

A step is taken by a person (`registry.models.User`), by an organisation's system through its API
key (`api.authentication.ApiClient`, which stands for the organisation, not for a person), or by
the registry itself (`None`: the scheduled jobs). Services decide permissions on this and journal
the actor by its label; only a `User` is ever linked from a row (journal events, certificates).

`Actor` is structural (a `Protocol`): both classes satisfy it without importing anything from
here, and core knows neither of them (it sits below the registry and the API).
"""

from __future__ import annotations

from typing import Protocol


class Actor(Protocol):
    # Read-only members (properties), so that plain attributes, model fields and computed
    # properties all satisfy them.
    @property
    def pk(self) -> int | None:
        """The User's primary key; None for an API client (not a person)."""
        ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def is_registrar(self) -> bool: ...

    @property
    def role(self) -> str:
        """A `registry.choices.Role` value, or "" (e.g. a superuser without a role)."""
        ...

    @property
    def organisation_id(self) -> int | None:
        """The organisation acted for, if any."""
        ...

    @property
    def label(self) -> str:
        """How the journal names the actor."""
        ...

    def acts_for(self, organisation_id: int | None) -> bool:
        """Whether the actor (an active one) acts for that organisation."""
        ...
