"""Reads behind the bank API. Each answers in a fixed number of queries, whatever the number of
assets or pledges involved: lists and snapshots are annotated (grade, value, certificate,
encumbrance) and pledges are prefetched in priority order with their pledgee, so a page of 50 assets
or a status with 30 pledges costs the same as one with none.

The pledge status (one number or a thousand) is the hot path of the bank API. Its two queries are
ORM querysets (the annotations of `public_assets()`, then `_active_pledges()`) compiled to SQL once
per database by `PrecompiledValues` and then run with fresh numbers: compiling the annotated asset
query cost Django about 4 ms of CPU per request, running it costs a fraction of one. Rows come back
as plain values (no model instances) and become `PledgeStatusSnapshot`s.

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
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connections, router
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Model,
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
from pledges.models import Pledge, PledgeStatus
from registry.choices import NUMBERED_STATUSES
from registry.identifiers import IdentifierError, normalise_registration_number
from registry.models import DataAsset, Organisation
from valuation.models import CURRENCY as VALUATION_CURRENCY
from valuation.selectors import with_current_valuation

# Numbers looked up per query in a bulk request (well under every backend's parameter limit).
LOOKUP_CHUNK = 500


# --- precompiled queries ---------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]  # where the looked-up values go in `params`
    names: tuple[str, ...]  # of the selected columns, in order
    converters: tuple[tuple[int, tuple[Callable, ...], Any], ...]  # (column, converters, expr)


class PrecompiledValues:
    """A `values()` queryset compiled by Django once per database and list size, then run with
    fresh values in its `__in` list: same SQL, same parameters and same value conversions
    (dates and decimals on SQLite) as the ORM, without Django's compiler on each request.

    `build(values)` returns the queryset filtered by `<field>__in=values`; it is compiled with
    placeholder values (`sentinel(i)`, which must not occur elsewhere in the query) to find where
    the values go. Lists are padded to the next power of two by repeating their last value (an IN
    list ignores repeats), so a database holds at most a dozen statements per query."""

    def __init__(
        self, model: type[Model], build: Callable[[list[Any]], QuerySet], sentinel: Callable
    ) -> None:
        self.model = model
        self._build = build
        self._sentinel = sentinel
        self._statements: dict[tuple[str, str, int], _Statement] = {}

    def _compile(self, alias: str, size: int) -> _Statement:
        sentinels = [self._sentinel(index) for index in range(size)]
        query = self._build(sentinels).query
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = []
        for sentinel in sentinels:
            found = [
                position
                for position, param in enumerate(params)
                if isinstance(param, type(sentinel)) and param == sentinel
            ]
            if len(found) != 1:  # the ORM shaped the IN list otherwise: refuse rather than guess
                raise RuntimeError(f"cannot precompile {self.model.__name__} lookup: {sql}")
            slots.append(found[0])
        columns = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(columns)
        return _Statement(
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            names=(*query.extra_select, *query.values_select, *query.annotation_select),
            converters=tuple(
                (position, tuple(functions), expression)
                for position, (functions, expression) in converters.items()
            ),
        )

    def rows(self, values: Sequence[Any]) -> list[dict[str, Any]]:
        """The rows matching `values` (at most LOOKUP_CHUNK of them), as dicts; no query when
        `values` is empty."""
        if not values:
            return []
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        size = 1 << (len(values) - 1).bit_length()
        key = (alias, connection.vendor, size)
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = self._compile(alias, size)
        params = list(statement.params)
        last = values[-1]
        for index, slot in enumerate(statement.slots):
            params[slot] = values[index] if index < len(values) else last
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            fetched = cursor.fetchall()
        names = statement.names
        if not statement.converters:
            return [dict(zip(names, row, strict=True)) for row in fetched]
        result = []
        for row in fetched:
            row = list(row)
            for position, functions, expression in statement.converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            result.append(dict(zip(names, row, strict=True)))
        return result


# --- assets ----------------------------------------------------------------------------------
def _active_pledges() -> QuerySet[Pledge]:
    return Pledge.objects.filter(status=PledgeStatus.ACTIVE)


def _with_register_annotations(assets: QuerySet[DataAsset]) -> QuerySet[DataAsset]:
    """`assets` with current grade / value, their current registration certificate (the valid
    one, else the latest) and whether any pledge is active."""
    certificates = Certificate.objects.filter(
        asset=OuterRef("pk"), kind=CertificateKind.REGISTRATION
    ).order_by(
        Case(When(status=CertificateStatus.VALID, then=Value(0)), default=Value(1)),
        "-issued_at",
        "-id",
    )
    return with_current_valuation(assets).annotate(
        encumbered=Exists(_active_pledges().filter(asset=OuterRef("pk"))),
        certificate_number=Subquery(certificates.values("number")[:1]),
        certificate_status=Subquery(certificates.values("status")[:1]),
    )


def public_assets() -> QuerySet[DataAsset]:
    """Registered-and-later assets with holder, current grade / value, their current registration
    certificate (the valid one, else the latest) and whether any pledge is active: one query."""
    assets = DataAsset.objects.filter(status__in=NUMBERED_STATUSES).select_related("holder")
    return _with_register_annotations(assets)


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
    """The public assets among canonical `numbers`, by number, as model instances with their
    `active_pledges`: two queries per 500 numbers. (The API's pledge status reads the same rows
    through `pledge_status_snapshots`, without model instances.)"""
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


@dataclasses.dataclass(frozen=True, slots=True)
class OrganisationRef:
    name: str
    uscc: str


@dataclasses.dataclass(frozen=True, slots=True)
class RankedPledge:
    """An active pledge as the pledge status shows it; `rank` 1 is the first in priority."""

    number: str
    pledgee_id: int
    pledgee: OrganisationRef
    secured_amount: Decimal
    currency: str
    debt_start: dt.date
    debt_end: dt.date
    registration_end: dt.date
    registered_at: dt.datetime
    rank: int


@dataclasses.dataclass(frozen=True, slots=True)
class PledgeStatusSnapshot:
    """What the register shows about one asset's encumbrances at `as_of` (plain values, no model
    instances; `serializers.pledge_status_item` turns it into the API's JSON)."""

    registration_number: str
    status: str
    valid_from: dt.date
    valid_until: dt.date
    holder_id: int
    pledges: tuple[RankedPledge, ...]  # active, in priority order
    certificate: CertificateRef | None
    quality_grade: str | None
    appraisal: AppraisalRef | None  # None unless the viewer may see private data
    as_of: dt.datetime

    @property
    def encumbered(self) -> bool:
        return bool(self.pledges)


def may_view_private(viewer: Any, asset: DataAsset, active_pledges: Sequence[Pledge]) -> bool:
    """The rule of `pledges.access.can_view_private` (holder, registrar, active pledgee), decided
    on the asset's already-fetched active pledges so that a bulk status needs no query per asset.
    tests/api/test_bank_api.py checks that both agree for every kind of caller."""
    return may_view_private_ids(
        viewer, asset.holder_id, (pledge.pledgee_id for pledge in active_pledges)
    )


def may_view_private_ids(viewer: Any, holder_id: int | None, pledgee_ids: Iterable[int]) -> bool:
    """`may_view_private` on bare ids: the asset's holder and its active pledges' pledgees."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if getattr(viewer, "is_registrar", False):
        return True
    if viewer.acts_for(holder_id):
        return True
    organisation_id = getattr(viewer, "organisation_id", None)
    active_user = getattr(viewer, "is_active", False)
    return (
        active_user
        and organisation_id is not None
        and any(pledgee_id == organisation_id for pledgee_id in pledgee_ids)
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


@dataclasses.dataclass(frozen=True, slots=True)
class _StatusOnly:
    """What `certificates.selectors.effective_status` reads of a certificate and of its asset."""

    status: str
    asset: Any = None


# The pledge status' two queries, compiled once per database (see PrecompiledValues): the assets
# by number with their grade, latest final value and current certificate (the annotations of
# `public_assets()`), then the active pledges of the public ones, in priority order. The public
# statuses (NUMBERED_STATUSES) are checked on the rows rather than in SQL, which leaves the planner
# nothing but the unique number's index; with the status condition too it may intersect that
# index with the status index, which covers nearly the whole register (measured at 1,000,000
# assets, 500 numbers: 40 ms instead of 10 without table statistics, 10 instead of 7 with them).
_STATUS_ASSET_FIELDS = (
    "id",
    "registration_number",
    "status",
    "valid_from",
    "valid_until",
    "holder_id",
    "quality_grade",
    "value_amount",
    "value_base_date",
    "certificate_number",
    "certificate_status",
)
_STATUS_PLEDGE_FIELDS = (
    "asset_id",
    "number",
    "pledgee_id",
    "pledgee__name",
    "pledgee__uscc",
    "secured_amount",
    "currency",
    "debt_start",
    "debt_end",
    "registration_end",
    "registered_at",
)
_PUBLIC = frozenset(NUMBERED_STATUSES)
_status_assets = PrecompiledValues(
    DataAsset,
    lambda numbers: (
        _with_register_annotations(DataAsset.objects.filter(registration_number__in=numbers))
        .order_by()
        .values(*_STATUS_ASSET_FIELDS)
    ),
    sentinel=lambda index: f"\x00registration-number-{index}",
)
_status_pledges = PrecompiledValues(
    Pledge,
    lambda asset_ids: (
        _active_pledges()
        .filter(asset_id__in=asset_ids)
        .order_by("priority")
        .values(*_STATUS_PLEDGE_FIELDS)
    ),
    sentinel=lambda index: -(10**15) - index,
)


def _snapshot(
    asset: dict[str, Any], pledge_rows: Sequence[dict[str, Any]], viewer: Any, as_of: dt.datetime
) -> PledgeStatusSnapshot:
    pledges = tuple(
        RankedPledge(
            number=row["number"],
            pledgee_id=row["pledgee_id"],
            pledgee=OrganisationRef(name=row["pledgee__name"], uscc=row["pledgee__uscc"]),
            secured_amount=row["secured_amount"],
            currency=row["currency"],
            debt_start=row["debt_start"],
            debt_end=row["debt_end"],
            registration_end=row["registration_end"],
            registered_at=row["registered_at"],
            rank=rank,
        )
        for rank, row in enumerate(pledge_rows, start=1)
    )
    appraisal = None
    if asset["value_amount"] is not None and may_view_private_ids(
        viewer, asset["holder_id"], (pledge.pledgee_id for pledge in pledges)
    ):
        appraisal = AppraisalRef(
            value_amount=asset["value_amount"],
            currency=VALUATION_CURRENCY,
            base_date=asset["value_base_date"],
        )
    certificate = None
    if asset["certificate_number"]:  # its effective status, as `current_certificate` gives it
        status = effective_status(
            _StatusOnly(asset["certificate_status"], _StatusOnly(asset["status"]))
        )
        certificate = CertificateRef(number=asset["certificate_number"], status=status)
    return PledgeStatusSnapshot(
        registration_number=asset["registration_number"],
        status=asset["status"],
        valid_from=asset["valid_from"],
        valid_until=asset["valid_until"],
        holder_id=asset["holder_id"],
        pledges=pledges,
        certificate=certificate,
        quality_grade=asset["quality_grade"],
        appraisal=appraisal,
        as_of=as_of,
    )


def pledge_status_snapshots(
    numbers: Iterable[str], *, viewer: Any, as_of: dt.datetime
) -> dict[str, PledgeStatusSnapshot]:
    """The pledge status of the public assets among canonical `numbers`, by number: per 500
    numbers, one query for the assets and, if any was found, one for their active pledges."""
    found: dict[str, PledgeStatusSnapshot] = {}
    for chunk in itertools.batched(sorted(set(numbers)), LOOKUP_CHUNK):
        assets = [row for row in _status_assets.rows(chunk) if row["status"] in _PUBLIC]
        pledges: dict[int, list[dict[str, Any]]] = {}
        for row in _status_pledges.rows([asset["id"] for asset in assets]):
            pledges.setdefault(row["asset_id"], []).append(row)
        for asset in assets:
            found[asset["registration_number"]] = _snapshot(
                asset, pledges.get(asset["id"], ()), viewer, as_of
            )
    return found


def pledge_status(number: str, *, viewer: Any, as_of: dt.datetime) -> PledgeStatusSnapshot | None:
    """The pledge status of the public asset with canonical `number` (two queries, one if none)."""
    return pledge_status_snapshots([number], viewer=viewer, as_of=as_of).get(number)


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
    snapshots = pledge_status_snapshots(
        (number for number in canonical if isinstance(number, str)), viewer=viewer, as_of=as_of
    )
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
