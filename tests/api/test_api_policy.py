"""Every REST endpoint has one home (`api/`) and one base (`api.base.ApiPolicy`): authentication,
a rate limit and, for reads, the read log. Walks the URLconf, so a new endpoint is checked the day
it is added."""

from django.urls import URLPattern, URLResolver, get_resolver

from api.base import ApiPolicy
from api.read_log import ReadLogMixin
from api.throttling import ApiKeyRateThrottle

# Endpoints that are not reads of the register: compute-only previews, pledge writes.
NOT_LOGGED = {
    "valuation-preview",
    "quality-preview",
    "api-pledge-release",
    "api-pledge-amend",
    "api-pledge-extend",
}


def _api_views():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "cls", None)
                route = prefix + str(pattern.pattern)
                if route.startswith("api/v1/"):
                    yield pattern.name, route, view

    return list(walk(get_resolver().url_patterns))


def test_every_api_endpoint_lives_in_the_api_app_and_derives_from_the_policy():
    views = _api_views()
    assert len(views) >= 14  # the bank API, previews, verification and search certificates
    for _name, route, view in views:
        assert view is not None, f"{route} is not a class-based API view"
        assert view.__module__.split(".")[0] == "api", f"{route} is served from {view.__module__}"
        assert issubclass(view, ApiPolicy), f"{route} ({view.__name__}) skips api.base.ApiPolicy"
        assert ApiKeyRateThrottle in view.throttle_classes, f"{route} has no rate limit"


def test_every_read_endpoint_writes_the_read_log():
    for name, route, view in _api_views():
        if name in NOT_LOGGED:
            continue
        assert issubclass(view, ReadLogMixin), f"{route} ({name}) is a read without the read log"
