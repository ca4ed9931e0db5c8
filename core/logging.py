"""Keep full ID and bank-card numbers out of every log line."""

from __future__ import annotations

import logging
import re

# 18-character national IDs (last character may be X) and 12–19 digit card numbers, standing
# alone: a digit run that is part of a decimal (`succeeded in 184.13980000009994s`) or of a
# longer number is a measurement, not an ID.
_ALONE_BEFORE = r"(?<![\d.])"
_ALONE_AFTER = r"(?![\d]|\.\d)"
_SENSITIVE = re.compile(
    rf"{_ALONE_BEFORE}(\d{{6}})(\d{{8}})(\d{{3}}[\dXx]){_ALONE_AFTER}"
    rf"|{_ALONE_BEFORE}\d{{12,19}}{_ALONE_AFTER}"
)


def redact(text: str) -> str:
    def _mask(match: re.Match) -> str:
        value = match.group(0)
        return value[:4] + "*" * (len(value) - 8) + value[-4:]

    return _SENSITIVE.sub(_mask, text)


class RedactSensitiveNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the line
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


class DropClientErrorTracebacks(logging.Filter):
    """A refused or missing page (4xx) is one line, not a traceback: it is not a bug."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.name == "django.request" and status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
