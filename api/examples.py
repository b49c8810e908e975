"""Request and response examples shown in the OpenAPI document (/api/schema/, /api/docs/)."""

from drf_spectacular.utils import OpenApiExample

BANK = {"name": "天津银行股份有限公司", "uscc": "911200001030702984"}
SECOND_BANK = {"name": "渤海银行股份有限公司", "uscc": "91120000710931486B"}
HOLDER = {"name": "天津港数据服务有限公司", "uscc": "91120000MA05JX1R25"}
NUMBER = "2026019000000189"

PLEDGE_STATUS_BODY = {
    "registration_number": NUMBER,
    "status": "registered",
    "valid_from": "2026-06-09",
    "valid_until": "2029-06-08",
    "encumbered": True,
    "pledges": [
        {
            "number": "ZY202600000003",
            "pledgee": BANK,
            "secured_amount": "5000000.00",
            "currency": "CNY",
            "debt_start": "2026-07-01",
            "debt_end": "2027-06-30",
            "registration_end": "2027-12-31",
            "registered_at": "2026-06-30T10:15:00+08:00",
            "rank": 1,
        },
        {
            "number": "ZY202600000011",
            "pledgee": SECOND_BANK,
            "secured_amount": "1200000.00",
            "currency": "CNY",
            "debt_start": "2026-09-01",
            "debt_end": "2027-08-31",
            "registration_end": "2027-08-31",
            "registered_at": "2026-08-28T16:02:11+08:00",
            "rank": 2,
        },
    ],
    "certificate": {"number": "20260612000000007", "status": "valid"},
    "quality_grade": "A",
    "appraisal": {"value_amount": "18500000.00", "currency": "CNY", "base_date": "2026-06-30"},
}

PLEDGE_STATUS = OpenApiExample(
    "A pledged asset, read by a pledgee",
    value={**PLEDGE_STATUS_BODY, "as_of": "2026-11-21T14:06:39+08:00"},
    description="`appraisal` is null unless the caller is the holder, a registrar or a bank "
    "with an active pledge on the asset.",
    response_only=True,
    status_codes=["200"],
)

MALFORMED_NUMBER = OpenApiExample(
    "Mistyped registration number",
    value={
        "code": "invalid_input",
        "message": "registration_number: 登记号校验位错误 (registration number check character "
        "does not match: mistyped?)",
        "errors": {
            "registration_number": [
                "登记号校验位错误 (registration number check character does not match: mistyped?)"
            ]
        },
    },
    response_only=True,
    status_codes=["400"],
)

BULK_REQUEST = OpenApiExample(
    "Three numbers",
    value={"registration_numbers": [NUMBER, "2026019000000188", "2026019000000269"]},
    request_only=True,
)

BULK_RESPONSE = OpenApiExample(
    "Found, mistyped, unknown",
    value={
        "as_of": "2026-11-21T14:06:39+08:00",
        "results": [
            {"registration_number": NUMBER, "found": True, **PLEDGE_STATUS_BODY, "appraisal": None},
            {
                "registration_number": "2026019000000188",
                "found": False,
                "error": {
                    "code": "malformed",
                    "message": "登记号校验位错误 (registration number check character does not "
                    "match: mistyped?)",
                },
            },
            {
                "registration_number": "2026019000000269",
                "found": False,
                "error": {
                    "code": "not_found",
                    "message": "No registered asset has the number 2026019000000269.",
                },
            },
        ],
    },
    response_only=True,
    status_codes=["200"],
)

# One key per filing, made by the bank's system (a UUID), sent again with every retry of it.
FILING_KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"

IDEMPOTENCY_KEY = OpenApiExample(
    "One UUID per request",
    value=FILING_KEY,
)

KEY_REUSED_BODY = {
    "code": "idempotency_key_reused",
    "message": "This Idempotency-Key was already used for a different request (method, path or "
    "body). Use a new key for a new request.",
}

PLEDGE_BODY = {
    "number": "ZY202600000011",
    "asset": {"registration_number": NUMBER, "name": "港口集装箱物流轨迹数据集"},
    "pledgor": HOLDER,
    "pledgee": SECOND_BANK,
    "secured_amount": "1200000.00",
    "currency": "CNY",
    "debt_start": "2026-09-01",
    "debt_end": "2027-08-31",
    "registration_end": "2027-08-31",
    "status": "active",
    "registered_at": "2026-08-28T16:02:11+08:00",
    "status_changed_at": None,
    "rank": 2,
}

REGISTER_REQUEST = OpenApiExample(
    "A bank files a pledge for itself",
    value={
        "registration_number": NUMBER,
        "secured_amount": "1200000.00",
        "debt_start": "2026-09-01",
        "debt_end": "2027-08-31",
    },
    description="Sent with a new `Idempotency-Key` header (e.g. "
    f"`Idempotency-Key: {FILING_KEY}`), and the same key when the bank sends this filing again "
    "after a timeout or a 5xx: a retry then answers the first filing, never files a second. A "
    "registrar (signed-in session) adds `pledgee_uscc`.",
    request_only=True,
)

PLEDGE_RESPONSE = OpenApiExample(
    "Filed: second in priority",
    value=PLEDGE_BODY,
    description="A retry with the filing's Idempotency-Key gets this same answer again, with "
    "`Idempotent-Replayed: true`.",
    response_only=True,
    status_codes=["201"],
)

FORBIDDEN = OpenApiExample(
    "Another bank's pledge",
    value={"code": "not_permitted", "message": "Only the pledgee bank or a registrar may do this."},
    response_only=True,
    status_codes=["403"],
)

SEARCH_RESPONSE = OpenApiExample(
    "Exact and similar pledgors",
    value={
        "query": "天津港数据服务有限公司",
        "as_of": "2026-11-21T14:06:39+08:00",
        "exact": [PLEDGE_BODY],
        "similar": [
            {
                **PLEDGE_BODY,
                "number": "ZY202600000020",
                "pledgor": {
                    "name": "天津港数据服务（集团）股份有限公司",
                    "uscc": "91120000MA06AB1C3D",
                },
                "status": "released",
                "status_changed_at": "2026-10-09T09:30:00+08:00",
                "rank": None,
            }
        ],
    },
    response_only=True,
    status_codes=["200"],
)
