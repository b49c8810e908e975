from registry.models.api_keys import OrganisationAPIKey
from registry.models.api_log import ApiReadLog
from registry.models.assets import AssetVersion, DataAsset
from registry.models.calendar import CalendarOverride
from registry.models.change_requests import ChangeRequest, ChangeRequestKind, ChangeRequestStatus
from registry.models.journal import JournalEvent
from registry.models.objections import Objection
from registry.models.organisations import Organisation, User

__all__ = [
    "ApiReadLog",
    "AssetVersion",
    "CalendarOverride",
    "ChangeRequest",
    "ChangeRequestKind",
    "ChangeRequestStatus",
    "DataAsset",
    "JournalEvent",
    "Objection",
    "Organisation",
    "OrganisationAPIKey",
    "User",
]
