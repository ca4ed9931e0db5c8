"""core.uploads (type from content, not name) and core.xlsx (formula-safe cells)."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook
from PIL import Image

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


def _png(size) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 0).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def test_image_above_the_pixel_limit_is_refused():
    # 12000×12000 of one colour: a few hundred KB on the wire, 144 MP once decoded.
    bomb = _png((12000, 12000))
    assert len(bomb) < 1024 * 1024
    with pytest.raises(UploadRejected, match="像素过大"):
        validate_upload(upload("bomb.png", bomb))


def test_large_photo_is_stored_downscaled_with_its_capture_time():
    photo = upload("big.jpg", jpeg_bytes("2026:05:01 08:00:00", size=(4000, 3000)))
    info = validate_upload(photo)
    assert info.taken_at.isoformat() == "2026-05-01T08:00:00+08:00"
    photo.seek(0)
    with Image.open(photo) as stored:
        assert stored.size == (2560, 1920)
        assert stored.getexif().get_ifd(0x8769)[36867] == "2026:05:01 08:00:00"
    photo.seek(0)
    assert info.size == photo.size == len(photo.read()) < len(jpeg_bytes(size=(4000, 3000)))


def test_too_many_files_in_one_request_is_refused(client):
    files = [upload(f"{i}.png", png_bytes()) for i in range(21)]
    response = client.post("/accounts/login/", {"files": files})
    assert response.status_code == 400
