"""gunicorn's access log with ID and bank-card numbers masked (config/gunicorn.conf.py).

Django's logging filter (core.logging) never sees gunicorn's access lines, and a query string
or a Referer may carry a number someone searched for. Every text atom of the line (request
line, path, query, Referer, headers) is masked the same way as the application's own logs;
a query string is percent-decoded first, so that `%31%34…` is masked too.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from gunicorn.glogging import Logger

from core.logging import redact


def _clean(value):
    if not isinstance(value, str):
        return value
    return redact(unquote_plus(value)) if "%" in value or "+" in value else redact(value)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        return {
            key: _clean(value)
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }
