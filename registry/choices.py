"""Enumerations of the registry (domain.md sections 1-3).

Stored values are stable English identifiers (API clients and constraints use them); labels are
translated, Chinese being the primary UI language.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Data holder (enterprise or institution)")
    BANK = "bank", _("Bank (pledgee)")
    REGISTRY = "registry", _("Registration body")


class Role(models.TextChoices):
    REGISTRAR = "registrar", _("Registrar")
    ENTERPRISE = "enterprise", _("Enterprise user")
    BANK = "bank", _("Bank user")


class AssetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    UNDER_REVIEW = "under_review", _("Under review")
    PUBLICITY = "publicity", _("In publicity")
    OBJECTED = "objected", _("Objection pending")
    REGISTERED = "registered", _("Registered")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled by holder")
    REVOKED = "revoked", _("Revoked by registrar")
    EXPIRED = "expired", _("Expired")


# Statuses in which the holder may still edit the application content.
EDITABLE_STATUSES = (AssetStatus.DRAFT, AssetStatus.RETURNED)
# Statuses that carry a registration number (registered once, whatever happened next).
NUMBERED_STATUSES = (
    AssetStatus.REGISTERED,
    AssetStatus.CANCELLED,
    AssetStatus.REVOKED,
    AssetStatus.EXPIRED,
)
# An asset in one of these is a live application or registration: at most one per holder and name.
LIVE_STATUSES = (
    AssetStatus.DRAFT,
    AssetStatus.SUBMITTED,
    AssetStatus.RETURNED,
    AssetStatus.UNDER_REVIEW,
    AssetStatus.PUBLICITY,
    AssetStatus.OBJECTED,
    AssetStatus.REGISTERED,
)


class Industry(models.TextChoices):
    """GB/T 4754-2017 industry sections (门类)."""

    A = "A", _("Agriculture, forestry, animal husbandry and fishery")
    B = "B", _("Mining")
    C = "C", _("Manufacturing")
    D = "D", _("Electricity, heat, gas and water supply")
    E = "E", _("Construction")
    F = "F", _("Wholesale and retail trade")
    G = "G", _("Transport, storage and postal services")
    H = "H", _("Accommodation and catering")
    I = "I", _("Information transmission, software and IT services")  # noqa: E741
    J = "J", _("Finance")
    K = "K", _("Real estate")
    L = "L", _("Leasing and business services")
    M = "M", _("Scientific research and technical services")
    N = "N", _("Water conservancy, environment and public facilities management")
    O = "O", _("Resident services, repair and other services")  # noqa: E741
    P = "P", _("Education")
    Q = "Q", _("Health and social work")
    R = "R", _("Culture, sports and entertainment")
    S = "S", _("Public administration, social security and social organisations")
    T = "T", _("International organisations")


class DataCategory(models.TextChoices):
    PUBLIC_AUTHORISED = "public_authorised", _("Public data authorised for operation")
    ENTERPRISE = "enterprise", _("Enterprise data")
    PERSONAL_DERIVED = "personal_derived", _("Personal-information-derived data")


class DataFormat(models.TextChoices):
    TABLE = "table", _("Structured table / database")
    FILES = "files", _("File collection")
    API = "api", _("API service")
    MODEL = "model", _("Model / algorithm")
    REPORT = "report", _("Report / index product")
    OTHER = "other", _("Other")


class DataSource(models.TextChoices):
    """The two-digit code is part of the registration number."""

    SELF_COLLECTED = "self_collected", _("Self-collected")
    PURCHASED = "purchased", _("Purchased")
    LICENSED = "licensed", _("Licensed")
    PUBLIC_AUTHORISATION = "public_authorisation", _("Public-data authorisation")


DATA_SOURCE_CODES = {
    DataSource.SELF_COLLECTED: "01",
    DataSource.PURCHASED: "02",
    DataSource.LICENSED: "03",
    DataSource.PUBLIC_AUTHORISATION: "04",
}
# Sources obtained from someone else: proof of the source's authorisation is required.
SOURCES_NEEDING_PROOF = (
    DataSource.PURCHASED,
    DataSource.LICENSED,
    DataSource.PUBLIC_AUTHORISATION,
)


class UpdateFrequency(models.TextChoices):
    REALTIME = "realtime", _("Real time")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    IRREGULAR = "irregular", _("Irregular")
    STATIC = "static", _("Not updated")


class SecurityLevel(models.TextChoices):
    """Data Security Law classification; core data cannot be registered."""

    GENERAL = "general", _("General data")
    IMPORTANT = "important", _("Important data")
    CORE = "core", _("Core data")


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class VersionReason(models.TextChoices):
    REGISTRATION = "registration", _("Initial registration")
    AMENDMENT = "amendment", _("Amendment")
    RENEWAL = "renewal", _("Renewal")
    TRANSFER = "transfer", _("Transfer")
