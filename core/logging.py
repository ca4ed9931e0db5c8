"""Keep full ID and bank-card numbers out of every log line."""

from __future__ import annotations

import logging
import re

# 18-character national IDs (last character may be X) and 12–19 digit card numbers.
_SENSITIVE = re.compile(r"(?<!\d)(\d{6})(\d{8,9})(\d{3}[\dXx]|\d{4})(?!\d)|(?<!\d)\d{12,19}(?!\d)")


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
