"""What every part of the demo workflow shares: the audit context per action, demo files."""

from __future__ import annotations

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from core.audit import acting_as
from demo.county import person_name

COMMAND = "seed_demo"


def act(service, **kwargs):
    """One user action: its own audit context, naming the acting user and this command."""
    with acting_as(kwargs["by"], command=COMMAND):
        return service(**kwargs)


def names(rng: random.Random, n: int) -> list[str]:
    """`n` different made-up people (village cadres, representatives, objectors)."""
    result: list[str] = []
    while len(result) < n:
        name = person_name(rng, rng.random() < 0.6)
        if name not in result:
            result.append(name)
    return result


def demo_jpeg(taken: dt.date, color: tuple[int, int, int] = (150, 120, 90)) -> bytes:
    """A tiny photo with the camera date in its EXIF, as a phone would write it."""
    image = Image.new("RGB", (64, 48), color)
    ImageDraw.Draw(image).rectangle((16, 14, 48, 40), outline=(40, 40, 40), width=2)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = f"{taken:%Y:%m:%d} 10:30:00"  # DateTimeOriginal
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70, exif=exif)
    return buffer.getvalue()


def demo_pdf(title: str) -> bytes:
    """A one-page PDF scan saying what it stands for (ASCII: no CJK font is needed)."""
    image = Image.new("RGB", (210, 297), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 200, 287), outline="black")
    draw.text((20, 24), "Anju demo document", fill="black")
    draw.text((20, 44), title, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=36)
    return buffer.getvalue()


def jpeg(name: str, taken: dt.date, color=(150, 120, 90)) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{name}.jpg", demo_jpeg(taken, color), content_type="image/jpeg")


def pdf(name: str, title: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{name}.pdf", demo_pdf(title), content_type="application/pdf")
