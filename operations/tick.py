"""The daily housekeeping run (`manage.py registry_tick`): the registry's time-driven steps
(registration after an uncontested publicity, expiry of lapsed registrations), then the expiry of
lapsed pledge registrations. Each domain moves its own records; this only runs them in order."""

from __future__ import annotations

import dataclasses
import datetime as dt

from core import clock
from pledges.services import pledges_expire_lapsed
from registry.services import registry_tick


@dataclasses.dataclass
class DailyReport:
    registered: list[str]
    expired: list[str]
    pledges_expired: list[str]
    failed: dict[int | str, str]


def daily_tick(*, today: dt.date | None = None) -> DailyReport:
    day = today or clock.today()
    assets = registry_tick(today=day)
    pledges = pledges_expire_lapsed(today=day)
    return DailyReport(
        registered=assets.registered,
        expired=assets.expired,
        pledges_expired=pledges.expired,
        failed={**assets.failed, **pledges.failed},
    )
