"""Reads behind the bank API. Each answers in a fixed number of queries, whatever the number of
assets or pledges involved: lists and snapshots are annotated (grade, value, certificate,
encumbrance) and pledges are prefetched in priority order with their pledgee, so a page of 50 assets
or a status with 30 pledges costs the same as one with none.

The public register holds registered assets and what became of them (expired, cancelled, revoked);
drafts and applications under review are never shown. Priority among pledges is their filing order
(`Pledge.priority`, drawn from a sequence; Civil Code art. 414): rank 1 is the earliest active one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from certificates.models import Certificate, CertificateKind, CertificateStatus
from certificates.selectors import effective_status
from registry.choices import NUMBERED_STATUSES
from registry.identifiers import IdentifierError, normalise_registration_number
from registry.models import DataAsset, Organisation, Pledge, PledgeStatus
from valuation.models import CURRENCY as VALUATION_CURRENCY
from valuation.selectors import with_current_valuation

# Numbers looked up per query in a bulk request (well under every backend's parameter limit).
LOOKUP_CHUNK = 500


# --- assets ----------------------------------------------------------------------------------
def _active_pledges() -> QuerySet[Pledge]:
    return Pledge.objects.filter(status=PledgeStatus.ACTIVE)


def public_assets() -> QuerySet[DataAsset]:
    """Registered-and-later assets with holder, current grade / value, their current registration
    certificate (the valid one, else the latest) and whether any pledge is active: one query."""
    certificates = Certificate.objects.filter(
        asset=OuterRef("pk"), kind=CertificateKind.REGISTRATION
    ).order_by(
        Case(When(status=CertificateStatus.VALID, then=Value(0)), default=Value(1)),
        "-issued_at",
        "-id",
    )
    assets = DataAsset.objects.filter(status__in=NUMBERED_STATUSES).select_related("holder")
    return with_current_valuation(assets).annotate(
        encumbered=Exists(_active_pledges().filter(asset=OuterRef("pk"))),
        certificate_number=Subquery(certificates.values("number")[:1]),
        certificate_status=Subquery(certificates.values("status")[:1]),
    )


def asset_text_search(assets: QuerySet[DataAsset], text: str) -> QuerySet[DataAsset]:
    """Name, registration number (spaces and dashes ignored) or holder name contains `text`."""
    text = text.strip()
    if not text:
        return assets
    number = re.sub(r"[\s-]", "", text).upper()
    condition = Q(name__icontains=text) | Q(holder__name__icontains=text)
    if number:
        condition |= Q(registration_number__contains=number)
    return assets.filter(condition)


def pledge_status_assets() -> QuerySet[DataAsset]:
    """`public_assets()` plus the active pledges in priority order (`asset.active_pledges`)."""
    return public_assets().prefetch_related(
        Prefetch(
            "pledges",
            queryset=_active_pledges().select_related("pledgee").order_by("priority"),
            to_attr="active_pledges",
        )
    )


def public_asset(number: str) -> DataAsset | None:
    """One asset of the public register by its canonical registration number (one query)."""
    return public_assets().filter(registration_number=number).first()


def asset_by_number(number: str) -> DataAsset | None:
    """Any asset with this registration number (the service decides what may be done to it)."""
    return DataAsset.objects.filter(registration_number=number).first()


def organisation_by_uscc(uscc: str) -> Organisation | None:
    return Organisation.objects.filter(uscc=uscc).first()


def assets_for_pledge_status(numbers: Iterable[str]) -> dict[str, DataAsset]:
    """The public assets among canonical `numbers`, by number: two queries per 500 numbers."""
    found: dict[str, DataAsset] = {}
    for chunk in itertools.batched(sorted(set(numbers)), LOOKUP_CHUNK):
        for asset in pledge_status_assets().filter(registration_number__in=chunk):
            found[asset.registration_number] = asset
    return found


# --- pledge status ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class CertificateRef:
    number: str
    status: str


@dataclasses.dataclass(frozen=True)
class AppraisalRef:
    value_amount: Decimal
    currency: str
    base_date: dt.date


@dataclasses.dataclass(frozen=True)
class PledgeStatusSnapshot:
    """What the register shows about one asset's encumbrances at `as_of`."""

    asset: DataAsset
    pledges: list[Pledge]  # active, in priority order, each with `.rank` (1..n)
    certificate: CertificateRef | None
    appraisal: AppraisalRef | None  # None unless the viewer may see private data
    as_of: dt.datetime

    @property
    def encumbered(self) -> bool:
        return bool(self.pledges)


def may_view_private(viewer: Any, asset: DataAsset, active_pledges: Sequence[Pledge]) -> bool:
    """The rule of `registry.access.can_view_private` (holder, registrar, active pledgee), decided
    on the asset's already-fetched active pledges so that a bulk status needs no query per asset.
    tests/api/test_bank_api.py checks that both agree for every kind of caller."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if getattr(viewer, "is_registrar", False):
        return True
    if viewer.acts_for(asset.holder_id):
        return True
    organisation_id = getattr(viewer, "organisation_id", None)
    active_user = getattr(viewer, "is_active", False)
    return (
        active_user
        and organisation_id is not None
        and any(pledge.pledgee_id == organisation_id for pledge in active_pledges)
    )


def current_certificate(asset: DataAsset) -> CertificateRef | None:
    """From `public_assets()`' annotations; the status is the effective one (a valid certificate
    of an expired registration reads `expired`, as on the verification page)."""
    if not asset.certificate_number:
        return None
    certificate = Certificate(
        number=asset.certificate_number, status=asset.certificate_status, asset=asset
    )
    return CertificateRef(number=certificate.number, status=effective_status(certificate))


def pledge_status_snapshot(
    asset: DataAsset, *, viewer: Any, as_of: dt.datetime
) -> PledgeStatusSnapshot:
    """For an asset from `pledge_status_assets()`; no query."""
    pledges = list(asset.active_pledges)
    for rank, pledge in enumerate(pledges, start=1):
        pledge.rank = rank
    appraisal = None
    if asset.value_amount is not None and may_view_private(viewer, asset, pledges):
        appraisal = AppraisalRef(
            value_amount=asset.value_amount,
            currency=VALUATION_CURRENCY,
            base_date=asset.value_base_date,
        )
    return PledgeStatusSnapshot(
        asset=asset,
        pledges=pledges,
        certificate=current_certificate(asset),
        appraisal=appraisal,
        as_of=as_of,
    )


MALFORMED = "malformed"
NOT_FOUND = "not_found"


def not_found_message(number: str) -> str:
    return f"No registered asset has the number {number}."


@dataclasses.dataclass(frozen=True)
class BulkLookup:
    """One number of a bulk request: its snapshot, or why there is none."""

    sent: str
    snapshot: PledgeStatusSnapshot | None
    error_code: str = ""
    error_message: str = ""


def pledge_status_bulk(
    numbers: Sequence[str], *, viewer: Any, as_of: dt.datetime
) -> list[BulkLookup]:
    """One lookup per number sent, in order (a number sent twice is answered twice); malformed
    numbers are told apart from unknown ones without a query."""
    canonical: list[str | IdentifierError] = []
    for number in numbers:
        try:
            canonical.append(normalise_registration_number(number))
        except IdentifierError as exc:
            canonical.append(exc)
    assets = assets_for_pledge_status(number for number in canonical if isinstance(number, str))
    snapshots = {
        number: pledge_status_snapshot(asset, viewer=viewer, as_of=as_of)
        for number, asset in assets.items()
    }
    lookups = []
    for sent, number in zip(numbers, canonical, strict=True):
        if isinstance(number, IdentifierError):
            lookups.append(BulkLookup(sent, None, MALFORMED, str(number)))
        elif number not in snapshots:
            lookups.append(BulkLookup(sent, None, NOT_FOUND, not_found_message(number)))
        else:
            lookups.append(BulkLookup(sent, snapshots[number]))
    return lookups


# --- pledges ---------------------------------------------------------------------------------
def ranked_pledges() -> QuerySet[Pledge]:
    """Pledges with asset and parties; `rank` is the place among the asset's active pledges
    (None for a pledge that is no longer active)."""
    earlier_or_same = (
        _active_pledges()
        .filter(asset=OuterRef("asset"), priority__lte=OuterRef("priority"))
        .order_by()
        .values("asset")
        .annotate(count=Count("pk"))
        .values("count")[:1]
    )
    return (
        Pledge.objects.select_related("asset", "pledgor", "pledgee")
        .annotate(
            rank=Case(
                When(status=PledgeStatus.ACTIVE, then=Subquery(earlier_or_same)),
                default=Value(None),
                output_field=IntegerField(),
            )
        )
        .order_by("priority")
    )


def pledge_by_number(number: str) -> Pledge | None:
    return ranked_pledges().filter(number=(number or "").strip().upper()).first()


# Legal-form words that do not tell two pledgors apart, compared after punctuation and spaces are
# dropped ("Co., Ltd." → "coltd"); longest first, so "股份有限公司" goes before "有限公司".
LEGAL_FORM_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团",
    "公司",
    "corporation",
    "limited",
    "coltd",
    "group",
    "corp",
    "ltd",
    "inc",
)
_PARENTHESES = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_IGNORED = re.compile(r"[\s,，.。·・'\"“”‘’_-]")
# A core shorter than this would make nearly every name "similar".
MIN_SIMILAR_CORE = 2


def pledgor_name_core(name: str) -> str:
    """The distinctive part of an organisation name: width- and case-folded, without parenthesised
    parts (branch, former name, city), spaces and punctuation, and without legal-form suffixes.

    "天津港（集团）数据服务有限公司" → "天津港数据服务";
    "Tianjin Port Data Co., Ltd." → "tianjinportdata"."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    previous = None
    while previous != text:  # nested parentheses: innermost first
        previous, text = text, _PARENTHESES.sub("", text)
    text = _IGNORED.sub("", text)
    while True:
        suffix = next((suffix for suffix in LEGAL_FORM_SUFFIXES if text.endswith(suffix)), None)
        if suffix is None or suffix == text:  # a name that is nothing but a legal form stays
            break
        text = text[: -len(suffix)]
    return text


def names_similar(query_core: str, name_core: str) -> bool:
    if len(query_core) < MIN_SIMILAR_CORE or len(name_core) < MIN_SIMILAR_CORE:
        return False
    return query_core in name_core or name_core in query_core


@dataclasses.dataclass(frozen=True)
class PledgorSearch:
    query: str
    exact: list[Pledge]
    similar: list[Pledge]


def pledges_by_pledgor(query: str, *, status: str | None = None) -> PledgorSearch:
    """Search by pledgor (domain.md section 6, as BC's PPR does): `exact` holds the pledges whose
    pledgor's USCC or name equals the query; `similar` those whose pledgor's name core
    (`pledgor_name_core`) contains the query's core or is contained in it, without being exact.

    Two queries: the pledgors (id, name, USCC) are compared in Python, because the similarity
    (width folding, parentheses, suffixes) is not expressible portably in SQL; then their pledges.
    """
    text = (query or "").strip()
    code = re.sub(r"\s", "", text).upper()
    query_core = pledgor_name_core(text)
    pledgors = Organisation.objects.filter(
        Exists(Pledge.objects.filter(pledgor=OuterRef("pk")))
    ).values_list("pk", "name", "uscc")
    exact_ids: set[int] = set()
    similar_ids: set[int] = set()
    for pk, name, uscc in pledgors:
        if uscc == code or name.strip() == text:
            exact_ids.add(pk)
        elif names_similar(query_core, pledgor_name_core(name)):
            similar_ids.add(pk)
    if not (exact_ids or similar_ids):
        return PledgorSearch(query=text, exact=[], similar=[])
    pledges = ranked_pledges().filter(pledgor_id__in=exact_ids | similar_ids)
    if status:
        pledges = pledges.filter(status=status)
    exact, similar = [], []
    for pledge in pledges:
        (exact if pledge.pledgor_id in exact_ids else similar).append(pledge)
    return PledgorSearch(query=text, exact=exact, similar=similar)
