"""Every write of the registry. Admin actions, views, API endpoints and commands call these.

Each workflow service: locks the asset row (`select_for_update`), checks the workflow table and the
step's own rules, raises a `RegistryError` with a clear message when refused (nothing written),
saves with `update_fields` and records one journal event in the same transaction.

`actor` is the user acting. `None` means the registry itself (the `registry_tick` housekeeping),
accepted only for the time-driven steps: registration after an uncontested publicity and expiry.

The services live in modules by responsibility and are re-exported here:
- `_common`: shared private helpers (permissions, row lock, workflow check, `_move`, versions).
- `organisations`: organisations, calendar overrides and API keys.
- `applications`: the holder's draft, its edits and submission (`EDITABLE_FIELDS`).
- `review`: the registrar's review decisions: return for correction, accept, reject.
- `publicity`: the publicity period and objections to it.
- `registration`: registration after an uncontested publicity.
- `post_registration`: amendment, renewal, transfer, cancellation, revocation, expiry.
- `housekeeping`: `registry_tick`, the time-driven steps.
- `change_requests`: the holder's amendment and renewal requests (imported from there, not here).
"""

from registry.services.applications import (
    EDITABLE_FIELDS,
    asset_create,
    asset_submit,
    asset_update_draft,
)
from registry.services.housekeeping import TickReport, registry_tick
from registry.services.organisations import (
    api_key_issue,
    api_key_revoke,
    calendar_override_set,
    organisation_create,
    organisation_update,
)
from registry.services.post_registration import (
    AMENDABLE_FIELDS,
    RENEWAL_WINDOW_DAYS,
    asset_amend,
    asset_cancel,
    asset_expire,
    asset_renew,
    asset_revoke,
    asset_transfer,
    renewal_window_opens,
)
from registry.services.publicity import (
    asset_start_publicity,
    objection_file,
    objection_resolve,
    objection_respond,
)
from registry.services.registration import asset_register
from registry.services.review import (
    asset_accept_for_review,
    asset_reject,
    asset_return_for_correction,
)

__all__ = [
    "AMENDABLE_FIELDS",
    "EDITABLE_FIELDS",
    "RENEWAL_WINDOW_DAYS",
    "TickReport",
    "api_key_issue",
    "api_key_revoke",
    "asset_accept_for_review",
    "asset_amend",
    "asset_cancel",
    "asset_create",
    "asset_expire",
    "asset_register",
    "asset_reject",
    "asset_renew",
    "asset_return_for_correction",
    "asset_revoke",
    "asset_start_publicity",
    "asset_submit",
    "asset_transfer",
    "asset_update_draft",
    "calendar_override_set",
    "objection_file",
    "objection_resolve",
    "objection_respond",
    "organisation_create",
    "organisation_update",
    "registry_tick",
    "renewal_window_opens",
]
