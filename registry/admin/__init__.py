"""The registrar's admin for the registry: find, enter and review assets, and move them through
the workflow (`assets`), organisations, objections, change requests, the calendar, the journal and
the read log (`records`), user accounts (`users`).

Writes go through `registry.services` only: saving a form calls the create/update service,
workflow steps are admin actions (several assets) and buttons (one asset) that collect the step's
input on an intermediate page. Registered records are read-only here: they change by amendment,
renewal or transfer, each a new version. Only registrars (and superusers) see the registry; only
superusers manage user accounts.

Domains above the registry (pledges, valuation) add their inlines and panels to the asset page
through `registry.admin.assets.extend_asset_page`, from their own admin modules.
"""

from registry.admin import (  # noqa: F401 (each module registers its admin classes)
    assets,
    change_requests,
    objections,
    organisations,
    records,
    users,
)
