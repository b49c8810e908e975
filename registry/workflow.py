"""The registration workflow as a table: which action moves an asset from which statuses to which.

    draft → submitted ⇄ returned
    submitted → under_review → publicity ⇄ objected
    under_review → returned
    publicity → registered (period ended, no open objection)
    submitted / under_review / publicity / objected → rejected
    registered → registered (amend, renew, transfer: a new version each)
    registered → cancelled (holder) | revoked (registrar) | expired (validity ended)

Services (`registry.services`) look actions up here before any rule of their own, so an illegal
step is refused with the same message wherever it is attempted.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from registry.choices import AssetStatus as S


class Action(StrEnum):
    SUBMIT = "submit"
    RETURN = "return_for_correction"
    ACCEPT = "accept_for_review"
    START_PUBLICITY = "start_publicity"
    OBJECT = "object"
    CLEAR_OBJECTIONS = "clear_objections"
    REGISTER = "register"
    REJECT = "reject"
    AMEND = "amend"
    RENEW = "renew"
    TRANSFER = "transfer"
    CANCEL = "cancel"
    REVOKE = "revoke"
    EXPIRE = "expire"


TRANSITIONS: dict[Action, tuple[frozenset[S], S]] = {
    Action.SUBMIT: (frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED),
    Action.RETURN: (frozenset({S.SUBMITTED, S.UNDER_REVIEW}), S.RETURNED),
    Action.ACCEPT: (frozenset({S.SUBMITTED}), S.UNDER_REVIEW),
    Action.START_PUBLICITY: (frozenset({S.UNDER_REVIEW}), S.PUBLICITY),
    Action.OBJECT: (frozenset({S.PUBLICITY, S.OBJECTED}), S.OBJECTED),
    Action.CLEAR_OBJECTIONS: (frozenset({S.OBJECTED}), S.PUBLICITY),
    Action.REGISTER: (frozenset({S.PUBLICITY}), S.REGISTERED),
    Action.REJECT: (frozenset({S.SUBMITTED, S.UNDER_REVIEW, S.PUBLICITY, S.OBJECTED}), S.REJECTED),
    Action.AMEND: (frozenset({S.REGISTERED}), S.REGISTERED),
    Action.RENEW: (frozenset({S.REGISTERED}), S.REGISTERED),
    Action.TRANSFER: (frozenset({S.REGISTERED}), S.REGISTERED),
    Action.CANCEL: (frozenset({S.REGISTERED}), S.CANCELLED),
    Action.REVOKE: (frozenset({S.REGISTERED}), S.REVOKED),
    Action.EXPIRE: (frozenset({S.REGISTERED}), S.EXPIRED),
}

ACTION_LABELS = {
    Action.SUBMIT: _("Submit"),
    Action.RETURN: _("Return for correction"),
    Action.ACCEPT: _("Accept for review"),
    Action.START_PUBLICITY: _("Start publicity"),
    Action.OBJECT: _("File objection"),
    Action.CLEAR_OBJECTIONS: _("Resume publicity"),
    Action.REGISTER: _("Register"),
    Action.REJECT: _("Reject"),
    Action.AMEND: _("Amend"),
    Action.RENEW: _("Renew"),
    Action.TRANSFER: _("Transfer"),
    Action.CANCEL: _("Cancel registration"),
    Action.REVOKE: _("Revoke registration"),
    Action.EXPIRE: _("Expire"),
}


def allowed_from(action: Action) -> frozenset[S]:
    return TRANSITIONS[action][0]


def target_of(action: Action) -> S:
    return TRANSITIONS[action][1]


def allows(status: str, action: Action) -> bool:
    return status in TRANSITIONS[action][0]


def actions_from(status: str) -> list[Action]:
    return [action for action, (sources, _target) in TRANSITIONS.items() if status in sources]
