"""The registry's notion of "now" and "today" (Asia/Shanghai), in one place."""

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    return timezone.localdate()


def localtime(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value)
