"""Validation of uploaded photos and documents: the type is sniffed from the content.

A file's name and the browser's Content-Type are chosen by the sender, so neither is trusted:
the first bytes decide the type, Pillow must be able to read an image to the end (`verify()`),
and a PDF must carry its header and end-of-file marker. PDFs are kept as uploaded; an image
above `MAX_PIXELS` is refused before it is decoded (a 420 KB PNG can hold 144 megapixels and
cost the archive PDF 1.35 GB), and one whose longest side passes `MAX_SIDE` is stored
downscaled, with its EXIF (the capture time the app reads) kept.

What a photo proves is read once, here: the EXIF capture time, the GPS position when the
camera recorded one, and a perceptual hash (`dhash`) that stays the same when the same picture
is re-saved, shrunk or recompressed; the self-check compares them (rectification/photo_checks.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import DomainError

JPEG = "image/jpeg"
PNG = "image/png"
HEIC = "image/heic"
PDF = "application/pdf"
IMAGE_TYPES = frozenset({JPEG, PNG, HEIC})
DOCUMENT_TYPES = IMAGE_TYPES | {PDF}
EXTENSIONS = {JPEG: "jpg", PNG: "png", HEIC: "heic", PDF: "pdf"}
TYPE_LABELS = {JPEG: "JPEG", PNG: "PNG", HEIC: "HEIC", PDF: "PDF"}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_DATETIME = 306
_GPS_IFD = 0x8825
_GPS_LATITUDE_REF, _GPS_LATITUDE, _GPS_LONGITUDE_REF, _GPS_LONGITUDE = 1, 2, 3, 4

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40 MP phone photo is the largest a village camera takes
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own bomb check, for every image the app opens
MAX_SIDE = 2560  # longest side of a stored photo: sharp on an A4 page, a few hundred KB


class UploadRejected(DomainError):
    """The file is not accepted; nothing of it has been stored."""


@dataclass(frozen=True)
class UploadInfo:
    content_type: str
    extension: str
    size: int
    taken_at: dt.datetime | None  # EXIF DateTimeOriginal, Asia/Shanghai, when present
    latitude: Decimal | None = None  # EXIF GPS, WGS 84 degrees, when present
    longitude: Decimal | None = None
    phash: str = ""  # dhash() of an image: 16 hex digits


def max_upload_bytes() -> int:
    return getattr(settings, "ANJU_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)


def sniff(head: bytes) -> str | None:
    """The content type that the first bytes of a file announce, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _read(file) -> bytes:
    file.seek(0)
    data = file.read()
    file.seek(0)
    return data


def _exif_taken_at(image: Image.Image) -> dt.datetime | None:
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001 - broken EXIF is no reason to refuse the photo
        return None
    raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not raw:
        return None
    try:
        # Camera clocks carry no zone; phones in the county run on Beijing time.
        naive = dt.datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        return None
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _degrees(value, ref) -> float | None:
    """(degrees, minutes, seconds) rationals and N/S/E/W to signed decimal degrees."""
    try:
        d, m, sec = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + sec / 3600
    if str(ref).strip("\x00 ").upper() in ("S", "W"):
        degrees = -degrees
    return degrees


def _exif_position(image: Image.Image) -> tuple[Decimal, Decimal] | tuple[None, None]:
    """The GPS position the camera wrote, or (None, None). (0, 0) is a phone without a fix."""
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
    except Exception:  # noqa: BLE001 - broken EXIF is no reason to refuse the photo
        return None, None
    if not gps or _GPS_LATITUDE not in gps or _GPS_LONGITUDE not in gps:
        return None, None
    lat = _degrees(gps[_GPS_LATITUDE], gps.get(_GPS_LATITUDE_REF, "N"))
    lon = _degrees(gps[_GPS_LONGITUDE], gps.get(_GPS_LONGITUDE_REF, "E"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    if lat == 0 and lon == 0:
        return None, None
    return Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")


def dhash(image: Image.Image) -> str:
    """Difference hash: 64 bits saying, on a 9×8 grey thumbnail, whether each pixel is
    brighter than its right neighbour. Re-saving, shrinking or recompressing a picture keeps
    it (a few bits at most); two different pictures differ in many. Computed with Pillow
    alone: the `imagehash` package would add numpy, scipy and PyWavelets for these lines."""
    grey = ImageOps.exif_transpose(image).convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = grey.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (left > right)
    return f"{bits:016x}"


@dataclass(frozen=True)
class PhotoFacts:
    taken_at: dt.datetime | None
    latitude: Decimal | None
    longitude: Decimal | None
    phash: str


def photo_facts(image: Image.Image) -> PhotoFacts:
    """What a decoded photo proves: capture time, position, perceptual hash."""
    latitude, longitude = _exif_position(image)
    return PhotoFacts(_exif_taken_at(image), latitude, longitude, dhash(image))


_NOT_AN_IMAGE = (
    OSError,
    ValueError,
    SyntaxError,
    UnidentifiedImageError,
    Image.DecompressionBombError,
)


def _with_stored_image(field_file, use):
    """`use(image)` on a stored photo, or None when the file is missing or is not an image."""
    try:
        with field_file.open("rb") as handle:
            data = handle.read()
        if sniff(data[:16]) == HEIC:
            _register_heif()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return use(image)
    except _NOT_AN_IMAGE:
        return None


def read_photo_facts(field_file) -> PhotoFacts | None:
    """The facts of a stored photo (for photos uploaded before they were kept), or None
    when the file is missing or is not an image."""
    return _with_stored_image(field_file, photo_facts)


THUMB_SIDE = 240  # a list's thumbnail: a few KB over a weak village signal


def thumbnail_jpeg(field_file, side: int = THUMB_SIDE) -> bytes | None:
    """A small upright JPEG of a stored photo (the list shows it; a tap opens the original),
    or None when the file is missing or is not an image."""

    def shrink(image: Image.Image) -> bytes:
        small = ImageOps.exif_transpose(image)
        small.thumbnail((side, side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        small.convert("RGB").save(buffer, "JPEG", quality=75)
        return buffer.getvalue()

    return _with_stored_image(field_file, shrink) if field_file else None


def _downscale(file, image: Image.Image, kind: str) -> tuple[str, int]:
    """Replace the upload's content by the image shrunk to `MAX_SIDE`, keeping its EXIF.
    HEIC is written as JPEG (Pillow cannot encode HEIC without extra codecs)."""
    exif = image.info.get("exif") or image.getexif().tobytes()
    small = image.copy()
    small.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if kind == PNG:
        small.save(buffer, "PNG", exif=exif, optimize=True)
    else:
        kind = JPEG
        small.convert("RGB").save(buffer, "JPEG", exif=exif, quality=85)
    content = buffer.getvalue()
    # The upload object itself is rewritten, so every service that stores it stores the
    # smaller file (a temporary-file upload is rewritten on disk, which storage then moves).
    file.seek(0)
    file.truncate()
    file.write(content)
    file.flush()
    file.seek(0)
    file.size = len(content)
    return kind, len(content)


def validate_upload(file, *, allowed=IMAGE_TYPES, label: str = "文件") -> UploadInfo:
    """Check one uploaded file; raise UploadRejected with a message the user can act on."""
    name = getattr(file, "name", "") or label
    size = getattr(file, "size", None)
    limit = max_upload_bytes()
    if size is None:
        size = len(_read(file))
    if size == 0:
        raise UploadRejected(f"“{name}”是空文件，请重新选择。")
    if size > limit:
        raise UploadRejected(
            f"“{name}”过大（{size / 1024 / 1024:.1f} MB），每个文件不能超过 "
            f"{limit / 1024 / 1024:.0f} MB。"
        )
    data = _read(file)
    kind = sniff(data[:16])
    if kind is None or kind not in allowed:
        accepted = "、".join(TYPE_LABELS[t] for t in sorted(allowed, key=list(TYPE_LABELS).index))
        raise UploadRejected(f"“{name}”不是可接受的文件类型，只接受 {accepted} 格式。")
    facts = PhotoFacts(None, None, None, "")
    if kind == PDF:
        if b"%%EOF" not in data[-2048:]:
            raise UploadRejected(f"“{name}”已损坏（PDF 文件不完整），请重新上传。")
    else:
        if kind == HEIC:
            _register_heif()
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise UploadRejected(
                        f"“{name}”像素过大（{image.width}×{image.height}），"
                        f"图片不能超过 {MAX_PIXELS // 1_000_000} 百万像素。"
                    )
                image.verify()
            # verify() leaves the image unusable; reopen it to decode fully and read EXIF.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                facts = photo_facts(image)
                if max(image.size) > MAX_SIDE:
                    kind, size = _downscale(file, image, kind)
        except Image.DecompressionBombError as exc:
            raise UploadRejected(
                f"“{name}”像素过大，图片不能超过 {MAX_PIXELS // 1_000_000} 百万像素。"
            ) from exc
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
        ) as exc:
            raise UploadRejected(f"“{name}”已损坏，无法识别为图片，请重新拍摄或选择。") from exc
    return UploadInfo(
        content_type=kind,
        extension=EXTENSIONS[kind],
        size=size,
        taken_at=facts.taken_at,
        latitude=facts.latitude,
        longitude=facts.longitude,
        phash=facts.phash,
    )


def stored_name(instance, folder: str) -> str:
    """Where an accepted upload is kept: never a name the sender chose, only a fresh id and
    the extension of the type sniffed from its content (set on the instance by the service)."""
    ext = getattr(instance, "_sniffed_extension", "") or "bin"
    return f"{folder}/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{ext}"


@contextlib.contextmanager
def files_removed_on_error():
    """Files stored in this block (append their FieldFile to the yielded list) are deleted
    again when the block fails, so a refused or rolled-back change leaves no orphan file."""
    stored: list = []
    try:
        yield stored
    except BaseException:
        for field_file in stored:
            with contextlib.suppress(Exception):
                field_file.storage.delete(field_file.name)
        raise


def store_upload(instance, field: str, upload, info: UploadInfo, stored: list) -> None:
    """Save a validated `upload` into `instance.<field>` (not the row) under its sniffed type."""
    instance._sniffed_extension = info.extension
    getattr(instance, field).save(upload.name or field, upload, save=False)
    stored.append(getattr(instance, field))


def save_photos(model, validated, stored: list, **fields) -> list:
    """One row of `model` per validated (upload, UploadInfo): the photo's facts from the
    upload (name, type, size, EXIF time and position, perceptual hash), its file stored
    under the sniffed type (and listed in `stored`, see files_removed_on_error), then
    `fields` (the owner, the uploader, a stage)."""
    photos = []
    for upload, info in validated:
        photo = model(
            original_name=(getattr(upload, "name", "") or "")[:200],
            content_type=info.content_type,
            size=info.size,
            taken_at=info.taken_at,
            latitude=info.latitude,
            longitude=info.longitude,
            phash=info.phash,
            **fields,
        )
        store_upload(photo, "file", upload, info, stored)
        photo.save()
        photos.append(photo)
    return photos
