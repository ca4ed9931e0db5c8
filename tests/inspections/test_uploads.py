"""core.uploads (type from content, not name) and core.xlsx (formula-safe cells)."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from core.uploads import UploadRejected, sniff, validate_upload
from core.xlsx import safe_row
from tests.inspections.factories import heic_bytes, jpeg_bytes, pdf_bytes, png_bytes, upload


def test_type_comes_from_content_not_name():
    assert validate_upload(upload("photo.pdf", png_bytes())).content_type == "image/png"
    assert validate_upload(upload("x.txt", heic_bytes())).extension == "heic"
    with pytest.raises(UploadRejected, match="不是可接受的文件类型"):
        validate_upload(upload("photo.jpg", b"<?php echo 1; ?>"))


def test_pdf_only_where_allowed():
    from core.uploads import DOCUMENT_TYPES

    with pytest.raises(UploadRejected):
        validate_upload(upload("r.pdf", pdf_bytes()))
    assert validate_upload(upload("r", pdf_bytes()), allowed=DOCUMENT_TYPES).extension == "pdf"
    with pytest.raises(UploadRejected, match="PDF 文件不完整"):
        validate_upload(upload("r.pdf", b"%PDF-1.4\n garbage"), allowed=DOCUMENT_TYPES)


def test_exif_capture_date_read_in_beijing_time():
    info = validate_upload(upload("a.jpg", jpeg_bytes("2026:05:01 08:00:00")))
    assert info.taken_at.isoformat() == "2026-05-01T08:00:00+08:00"
    assert validate_upload(upload("a.jpg", jpeg_bytes(None))).taken_at is None


def test_size_limit_setting(settings):
    settings.ANJU_UPLOAD_MAX_BYTES = 100
    with pytest.raises(UploadRejected, match="不能超过"):
        validate_upload(upload("a.jpg", jpeg_bytes()))


def test_sniff_unknown():
    assert sniff(b"GIF89a") is None and sniff(b"") is None


def test_safe_cells_keep_formula_text_as_text():
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("t")
    values = ["=1+1", "+86", "-x", "@SUM(A1)", "\tx", "\rx", "正常", 3, dt.date(2026, 1, 1)]
    ws.append(safe_row(values, ws))
    buffer = io.BytesIO()
    wb.save(buffer)
    cells = list(load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows())[0]
    assert [c.value for c in cells[:7]] == values[:7]
    assert all(c.data_type == "s" for c in cells[:7])
    assert cells[7].value == 3
