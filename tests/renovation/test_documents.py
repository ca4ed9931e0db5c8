"""PDFs with a real embedded CJK font, the notice without full numbers, the fetcher locked in."""

from __future__ import annotations

import http.server
import io
import subprocess
import threading

import pytest
from openpyxl import load_workbook

from core.pdf import FetchRefused, RestrictedURLFetcher, render_pdf
from renovation import documents
from renovation.archive import build_archive_pdf
from renovation.models import ProjectPhoto, ProjectStatus
from tests.factories import HouseholdFactory
from tests.inspections.factories import jpeg_bytes, upload
from tests.renovation.factories import make_project

S = ProjectStatus
pytestmark = pytest.mark.django_db


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def pdf_fonts(content: bytes, tmp_path) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:]]


def assert_cjk_font_embedded(content: bytes, tmp_path) -> None:
    fonts = pdf_fonts(content, tmp_path)
    cjk = [f for f in fonts if "CJK" in f[0] or "WenQuanYi" in f[0]]
    assert cjk, fonts
    # columns: name type encoding emb sub uni object ID; "emb" is 4th from the end
    assert all(f[-5] == "yes" for f in cjk), fonts


def test_letter_pdf_names_household_and_amount_in_chinese(
    client, township_user, household, tmp_path
):
    project = make_project(household, S.APPROVED)
    client.force_login(township_user)
    response = client.get(f"/renovation/{project.pk}/letter.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "张三" in text
    assert "50,000.00" in text and "人民币伍万元整" in text
    assert "原址翻建" in text and "7月31日" in text and "拆除原危房" in text
    assert "\ufffd" not in text  # no replacement characters: every glyph was found
    assert_cjk_font_embedded(response.content, tmp_path)


def test_letter_of_unapproved_project_is_404(client, township_user, household):
    project = make_project(household, S.PUBLICITY)
    client.force_login(township_user)
    assert client.get(f"/renovation/{project.pk}/letter.pdf").status_code == 404


def test_batch_letters_hold_one_page_per_household(client, county_approver, areas, tmp_path):
    names = ["王五", "赵六", "孙七"]
    projects = [
        make_project(HouseholdFactory(village=areas["village"], head_name=n), S.APPROVED)
        for n in names
    ]
    client.force_login(county_approver)
    ids = "&".join(f"ids={p.pk}" for p in projects)
    response = client.get(f"/renovation/letters.pdf?{ids}")
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert all(n in text for n in names)
    assert text.count("农村危房改造函告书") == 3


def test_other_township_cannot_get_the_letter(client, other_township_user, household):
    project = make_project(household, S.APPROVED)
    client.force_login(other_township_user)
    assert client.get(f"/renovation/{project.pk}/letter.pdf").status_code == 404


def test_village_notice_xlsx_and_pdf_have_no_full_numbers(
    client, township_user, household, areas, tmp_path
):
    make_project(household, S.PUBLICITY)
    client.force_login(township_user)
    code = areas["village"].code
    response = client.get(f"/renovation/notice/{code}/notice.xlsx?year=2026")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    cells = [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "张三" in cells and "低保户" in cells and "50,000.00" in cells
    header = list(next(ws.iter_rows(min_row=2, max_row=2, values_only=True)))
    assert header[1:] == [
        "户主姓名",
        "家庭人口",
        "类别",
        "危房等级",
        "评议结果",
        "村",
        "补助金额（元）",
        "改造方式",
        "面积（㎡）",
        "村级公示期",
    ]
    joined = " ".join(cells)
    for secret in (household.id_number, household.bank_account, household.id_number[-8:]):
        assert secret not in joined

    response = client.get(f"/renovation/notice/{code}/notice.pdf?year=2026")
    text = pdf_text(response.content, tmp_path)
    assert "张三" in text and "东村" in text and "50,000.00" in text
    assert household.id_number not in text and household.bank_account not in text
    assert_cjk_font_embedded(response.content, tmp_path)


def test_notice_of_another_townships_village_is_404(client, other_township_user, areas):
    client.force_login(other_township_user)
    code = areas["village"].code
    assert client.get(f"/renovation/notice/{code}/notice.xlsx").status_code == 404


def test_archive_pdf_embeds_photos_and_names_what_is_missing(township_user, household, tmp_path):
    project = make_project(household, S.UNDER_CONSTRUCTION)
    photo = ProjectPhoto(
        project=project,
        stage="before",
        content_type="image/jpeg",
        size=1,
        uploaded_by=township_user,
    )
    photo._sniffed_extension = "jpg"
    photo.file.save("p.jpg", upload("p.jpg", jpeg_bytes(size=(400, 300))), save=False)
    photo.save()
    content = build_archive_pdf(household, township_user)
    text = pdf_text(content, tmp_path)
    assert "一户一档" in text and "张三" in text
    assert "村级评议会议记录" in text and "缺失" in text
    assert household.id_number not in text
    path = tmp_path / "a.pdf"
    path.write_bytes(content)
    images = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True
    ).stdout
    assert "jpeg" in images or "image" in images
    assert_cjk_font_embedded(content, tmp_path)


# --- trust rule 9: documents fetch nothing outside static/ and media -----------------------


def test_fetcher_refuses_other_files_and_network(settings):
    fetcher = RestrictedURLFetcher()
    for url in (
        "file:///etc/passwd",
        f"file://{settings.BASE_DIR}/config/settings.py",
        f"file://{settings.BASE_DIR}/static/../config/settings.py",
        "http://127.0.0.1:1/",
        "https://example.com/x.png",
        "ftp://example.com/x",
    ):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    css = settings.BASE_DIR / "static" / "css" / "anju.css"
    assert fetcher.fetch(css.as_uri()) is not None


def test_hostile_template_value_fetches_nothing(tmp_path, settings):
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    secret = tmp_path / "secret.txt"
    secret.write_text("绝密内容")
    hostile = HouseholdFactory.build(
        head_name=f'<img src="http://127.0.0.1:{port}/leak"><iframe src="file://{secret}">'
    )
    try:
        # Autoescaped in the template; even raw HTML with these URLs is refused below.
        content = render_pdf(
            "renovation/pdf/notice.html",
            {"title": hostile.head_name, "headers": [], "rows": [], "village": None},
        )
        from weasyprint import HTML

        HTML(
            string=f'<img src="http://127.0.0.1:{port}/raw"><link rel=stylesheet href="file://{secret}">',
            url_fetcher=RestrictedURLFetcher(),
        ).write_pdf()
    finally:
        server.shutdown()
    assert hits == []
    assert "绝密内容" not in pdf_text(content, tmp_path)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("50000", "人民币伍万元整"),
        ("6000", "人民币陆仟元整"),
        ("120305.07", "人民币壹拾贰万零叁佰零伍元零柒分"),
        ("1000000", "人民币壹佰万元整"),
    ],
)
def test_amount_in_capital_digits(amount, text):
    from decimal import Decimal

    assert documents.rmb_upper(Decimal(amount)) == text
