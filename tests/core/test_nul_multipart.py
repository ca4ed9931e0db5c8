"""A NUL byte anywhere in a multipart form's text is a 400, not a server error.

Schemathesis found `POST /api/campaigns/` answering 500 when a repeated field (``areas``) held
NUL in a value other than the last: ``QueryDict.values()`` shows only the last value of each key.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory

from core.middleware import NUL_MESSAGE, RejectNulBytesMiddleware

middleware = RejectNulBytesMiddleware(lambda request: HttpResponse("passed"))


def _post(data: dict) -> HttpResponse:
    return middleware(RequestFactory().post("/api/campaigns/", data))


@pytest.mark.parametrize(
    "data",
    [
        {"areas": ["a\x00b", "140000"]},  # not the last value of a repeated field
        {"areas": ["140000", "a\x00b"]},
        {"na\x00me": "x"},  # a field name
        {"ph\x00otos": SimpleUploadedFile("a.jpg", b"\xff\xd8", content_type="image/jpeg")},
    ],
    ids=["first-of-repeated", "last-of-repeated", "field-name", "file-field-name"],
)
def test_nul_anywhere_in_multipart_text_is_400(data):
    response = _post(data)
    assert response.status_code == 400
    assert json.loads(response.content)["detail"] == NUL_MESSAGE


def test_nul_inside_an_uploaded_file_passes():
    upload = SimpleUploadedFile("a.jpg", b"\xff\xd8\x00\x00", content_type="image/jpeg")
    response = _post({"areas": ["140000", "140100"], "photos": upload})
    assert response.status_code == 200
    assert response.content == b"passed"
