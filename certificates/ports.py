"""What the certificate engine needs from the domains above it, handed down instead of imported.

The engine sits below the registry and the pledges (README, "Architecture"): it numbers, renders,
signs and verifies documents whose content those domains build. Two things it cannot know itself:

- where journal events go: the registry's journal (`registry.journal.record`), installed as the
  journal writer when the registry app starts;
- whether what a certificate attests still stands: a valid registration certificate of an
  expired asset reads "expired" to a verifier, one of a cancelled or revoked asset "revoked".
  Each issuing domain adds a standing rule for its kinds.

Both are installed in the issuing apps' `AppConfig.ready()`, before any request or task runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from core.actors import Actor


class JournalWriter(Protocol):
    def __call__(
        self,
        *,
        event_type: str,
        actor: Actor | None,
        subject_type: str,
        subject_id: str,
        subject_label: str,
        asset: Any,
        reason: str,
        payload: dict[str, Any],
        label: str | None = None,
    ) -> object: ...


class StandingSubject(Protocol):
    """What the standing rules (and `certificates.selectors.effective_status`) read of a
    certificate: its own status and the asset it attests, if any. A `Certificate` is one; so is a
    stand-in built from query values (`records.pledge_status`)."""

    @property
    def status(self) -> str: ...

    @property
    def asset(self) -> object: ...


StandingRule = Callable[[StandingSubject], "str | None"]

_journal_writer: list[JournalWriter] = []
_standing_rules: list[StandingRule] = []


def install_journal_writer(writer: JournalWriter) -> None:
    _journal_writer[:] = [writer]


def journal_writer() -> JournalWriter:
    if not _journal_writer:
        raise ImproperlyConfigured("No journal writer installed for certificates (registry app).")
    return _journal_writer[0]


def add_standing_rule(rule: StandingRule) -> None:
    if rule not in _standing_rules:
        _standing_rules.append(rule)


def standing(certificate: StandingSubject) -> str | None:
    """The effective status a rule imposes on a valid certificate (None: it stands)."""
    for rule in _standing_rules:
        verdict = rule(certificate)
        if verdict is not None:
            return verdict
    return None
