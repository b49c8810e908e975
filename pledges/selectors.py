"""Reads of the pledge registry: pledges ranked among their asset's active ones, by number, and
the search by pledgor (exact and similar names)."""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)

from pledges.models import Pledge, PledgeStatus
from registry.models import Organisation


def active_pledges() -> QuerySet[Pledge]:
    """Every active pledge (the encumbrances the register shows)."""
    return Pledge.objects.filter(status=PledgeStatus.ACTIVE)


def ranked_pledges() -> QuerySet[Pledge]:
    """Pledges with asset and parties; `rank` is the place among the asset's active pledges
    (None for a pledge that is no longer active)."""
    earlier_or_same = (
        active_pledges()
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
    exact: list[Pledge] = []
    similar: list[Pledge] = []
    for pledge in pledges:
        (exact if pledge.pledgor_id in exact_ids else similar).append(pledge)
    return PledgorSearch(query=text, exact=exact, similar=similar)
