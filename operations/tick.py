"""The daily housekeeping run (`manage.py registry_tick`): the registry's time-driven steps
(registration after an uncontested publicity, expiry of lapsed registrations), then the expiry of
lapsed pledge registrations, then the reconciliation of side effects (every issued certificate
gets its document, every failed outbox message another round) and the pruning of records kept only
for a while. Each domain moves its own records; this only runs them in order."""

from __future__ import annotations

import dataclasses
import datetime as dt

from certificates.services import certificates_reconcile
from core import clock
from core.housekeeping import prune_all
from core.outbox import outbox_retry_failed
from pledges.services import pledges_expire_lapsed
from registry.services import registry_tick


@dataclasses.dataclass
class DailyReport:
    registered: list[str]
    expired: list[str]
    pledges_expired: list[str]
    failed: dict[int | str, str]
    documents_requeued: int = 0
    messages_retried: int = 0
    pruned: dict[str, int] = dataclasses.field(default_factory=dict)


def daily_tick(*, today: dt.date | None = None) -> DailyReport:
    day = today or clock.today()
    assets = registry_tick(today=day)
    pledges = pledges_expire_lapsed(today=day)
    retried = outbox_retry_failed()
    requeued = certificates_reconcile()
    return DailyReport(
        registered=assets.registered,
        expired=assets.expired,
        pledges_expired=pledges.expired,
        failed={**assets.failed, **pledges.failed},
        documents_requeued=requeued,
        messages_retried=retried,
        pruned=prune_all(),
    )
