"""Every file the app hands to a browser: generated downloads and stored private files.

One shape for all of them: the filename in RFC 6266/5987 form (Chinese names survive in every
browser), `Cache-Control: private, no-store` (personal data never sits in a shared cache),
`X-Content-Type-Options: nosniff`. Private files are served only through a view that has
already done the area check on the row that owns the file: never through MEDIA_URL, and from
an object store either streamed through the app or by a short presigned redirect issued here.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

from core.uploads import JPEG, thumbnail_jpeg

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"


def _finish(response, *, filename: str, inline: bool):
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=not inline, filename=filename
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def download_response(
    content: bytes, *, filename: str, content_type: str, inline: bool = False
) -> HttpResponse:
    """A generated file (workbook, PDF) as an attachment named `filename`."""
    return _finish(
        HttpResponse(content, content_type=content_type), filename=filename, inline=inline
    )


def thumbnail_response(field_file, *, filename: str) -> HttpResponse:
    """A stored photo's thumbnail (`core.uploads.thumbnail_jpeg`), for a caller that has
    found the owning row in the user's scope; a missing or unreadable photo is a 404."""
    content = thumbnail_jpeg(field_file)
    if content is None:
        raise Http404("照片文件不存在或无法读取。")
    return download_response(content, filename=filename, content_type=JPEG, inline=True)


def serve_private_file(
    field_file, *, filename: str, content_type: str | None, inline: bool = True
) -> FileResponse:
    """A stored file whose owning row the caller has already found in the user's scope.

    A missing file (empty field, or gone from storage) is a 404.
    """
    if not field_file:
        raise Http404("文件不存在。")
    if settings.STORAGE_S3_BUCKET and settings.STORAGE_S3_PRESIGNED_REDIRECT:
        return _presigned_redirect(
            field_file, filename=filename, content_type=content_type, inline=inline
        )
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("文件不存在。") from exc
    return stream_response(handle, filename=filename, content_type=content_type, inline=inline)


def _presigned_redirect(field_file, *, filename: str, content_type: str | None, inline: bool):
    """A redirect to a URL of the object store signed for this one file, valid for
    STORAGE_S3_PRESIGNED_SECONDS: handed out only here, after the caller's area check. The
    store answers with the same name and type headers the app would have sent."""
    storage = field_file.storage
    if not storage.exists(field_file.name):
        raise Http404("文件不存在。")
    url = storage.url(
        field_file.name,
        parameters={
            "ResponseContentDisposition": content_disposition_header(
                as_attachment=not inline, filename=filename
            ),
            "ResponseContentType": content_type or "application/octet-stream",
            "ResponseCacheControl": "private, no-store",
        },
        expire=settings.STORAGE_S3_PRESIGNED_SECONDS,
    )
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"  # the signed URL never leaks onwards
    return response


def stream_response(
    handle, *, filename: str, content_type: str | None, inline: bool = False
) -> FileResponse:
    """An open binary file (or a BytesIO of decrypted content), streamed in chunks."""
    response = FileResponse(handle, content_type=content_type or "application/octet-stream")
    return _finish(response, filename=filename, inline=inline)


def stored_filename(field_file, stem: str) -> str:
    """`<stem>.<extension of the stored file>`: the name a browser saves it under."""
    ext = field_file.name.rsplit(".", 1)[-1] if "." in field_file.name else "bin"
    return f"{stem}.{ext}"
