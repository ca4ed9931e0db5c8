"""The ledger PDF: A4 landscape pages showing the table headers and the Chinese text."""

from __future__ import annotations

import subprocess

import pytest
from django.urls import reverse

from rectification.exports import HEADERS

pytestmark = pytest.mark.django_db


def test_official_downloads_landscape_pdf(client, official, item, tmp_path):
    client.force_login(official)
    response = client.get(reverse("rectification:ledger_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "ledger.pdf"
    pdf.write_bytes(response.content)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size"))
    width, height = (float(x) for x in size.split(":")[1].split("pts")[0].split(" x "))
    assert width > height and 835 < width < 845
    text = "".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split()
    )
    for header in HEADERS:
        assert header in text
    assert item.title in text and "单位（盖章）" in text
