"""Paper that goes with each step (issue 19 point 5): every printable form comes out as one A4
page with the household's name, its signature and stamp lines, and nothing printed outside the
page margins; the signed scan uploaded on the step files the archive item.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from django.urls import reverse
from PIL import Image

from renovation.archive import archive_complete_q, build_archive, with_archive_documents
from renovation.models import (
    JointDepartment,
    ProjectStatus,
    PublicityLevel,
    RenovationProject,
    SignedPaper,
    VillageReview,
)
from renovation.paper import PAPERS
from tests.factories import HouseholdFactory
from tests.inspections.factories import jpeg_bytes, pdf_bytes, upload
from tests.renovation.factories import make_project

S = ProjectStatus
pytestmark = pytest.mark.django_db

MM = 50 / 25.4  # pixels per millimetre at the 50 dpi of the check


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def pdf_pages(content: bytes, tmp_path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def first_page_png(content: bytes, tmp_path) -> Image.Image:
    path = tmp_path / "page.pdf"
    path.write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    (png,) = tmp_path.glob("p*.png")
    return Image.open(png).convert("L")


def assert_inside_margins(image: Image.Image, *, landscape=False) -> None:
    """Nothing is drawn in the outer 10 mm of the left, right and top edges (the page margins
    are 16–18 mm): a cell or line that overflows the page would."""
    width, height = image.size
    expected = (842, 595) if landscape else (595, 842)  # A4 in points: 50 dpi ≈ 0.694 px/pt
    assert abs(width / height - expected[0] / expected[1]) < 0.01, image.size
    band = int(10 * MM)
    for box in ((0, 0, band, height), (width - band, 0, width, height), (0, 0, width, band)):
        darkest = image.crop(box).getextrema()[0]
        assert darkest > 240, f"ink in the margin {box}: {darkest}"
    # and the page carries content at all
    assert image.getextrema()[0] < 100


@pytest.fixture
def full_project(areas, county_reviewer):
    """An accepted project with every record its forms are filled from."""
    household = HouseholdFactory(village=areas["village"], head_name="王秀英", family_size=3)
    project = make_project(household, S.ACCEPTED)
    VillageReview.objects.create(
        project=project,
        held_on=dt.date(2026, 2, 5),
        cadres=["村支书甲", "村主任乙"],
        representatives=["代表一", "代表二", "代表三", "代表四", "代表五", "代表六"],
        result="passed",
        note="同意纳入改造",
        minutes_file=upload("m.pdf", pdf_bytes(), "application/pdf"),
        minutes_content_type="application/pdf",
        recorded_by=county_reviewer,
    )
    for dept in JointDepartment:
        project.joint_opinions.create(department=dept, agrees=True, recorded_by=county_reviewer)
    RenovationProject.objects.filter(pk=project.pk).update(township_opinion="情况属实，同意上报。")
    project.refresh_from_db()
    return project


SIGNATURE_LINES = {
    "application": ["申请人（户主）签字", "村民委员会受理人签字"],
    "appraisal": ["鉴定（评定）人签字", "农户（户主）签字", "鉴定单位（盖章）"],
    "village_review": ["参加评议人员签字", "村民代表不少于5名", "村民委员会（盖章）"],
    "township_review": ["初审人签字", "人民政府（盖章）"],
    "joint_review": ["审核人签字", "部门盖章", "住房和城乡建设局（盖章）"],
    "commitment": ["承诺人（户主）签字", "签订日期", "村民委员会（盖章）"],
    "acceptance": ["参加验收各方签字", "工匠或施工方", "人民政府（盖章）"],
}


@pytest.mark.parametrize("kind", sorted(PAPERS))
def test_every_form_prints_on_one_a4_page_with_name_and_signature_lines(
    kind, full_project, client, township_user, tmp_path
):
    assert set(SIGNATURE_LINES) == set(PAPERS)
    client.force_login(township_user)
    response = client.get(reverse("renovation:paper", args=[full_project.pk, kind]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    compact = re.sub(r"\s+", "", text)
    assert "王秀英" in compact
    assert PAPERS[kind].title in compact
    for line in SIGNATURE_LINES[kind]:
        assert line in compact, line
    assert "\ufffd" not in text
    assert full_project.household.id_number not in compact  # only the masked ID
    assert pdf_pages(response.content, tmp_path) == 1
    assert_inside_margins(first_page_png(response.content, tmp_path))


def test_forms_are_filled_from_the_record(full_project, client, township_user, tmp_path):
    client.force_login(township_user)

    def text(kind):
        url = reverse("renovation:paper", args=[full_project.pk, kind])
        return re.sub(r"\s+", "", pdf_text(client.get(url).content, tmp_path))

    review = text("village_review")
    assert all(f"代表{n}" in review for n in "一二三四五六") and "村支书甲" in review
    assert "情况属实，同意上报。" in text("township_review")
    joint = text("joint_review")
    assert all(label in joint for label in JointDepartment.labels) and "同意" in joint
    assert "2026年3月26日" in text("commitment")  # the commitment's signing date
    acceptance = text("acceptance")
    assert "60.00㎡" in acceptance and "2026年5月10日" in acceptance and "合格" in acceptance


def test_blank_form_before_the_step_leaves_five_lines_for_representatives(
    areas, client, township_user, tmp_path
):
    project = make_project(HouseholdFactory(village=areas["village"], head_name="赵四"), S.APPLIED)
    client.force_login(township_user)
    content = client.get(reverse("renovation:paper", args=[project.pk, "village_review"])).content
    text = pdf_text(content, tmp_path)
    assert text.count("村民代表") >= 5 + 1  # five rows to sign and the heading
    assert pdf_pages(content, tmp_path) == 1


@pytest.mark.parametrize("level", PublicityLevel.values)
def test_publicity_lists_of_each_level(level, areas, client, county_reviewer, tmp_path):
    here = make_project(HouseholdFactory(village=areas["village"], head_name="东村户"), S.PUBLICITY)
    make_project(HouseholdFactory(village=areas["village2"], head_name="西村户"), S.PUBLICITY)
    make_project(HouseholdFactory(village=areas["other_village"], head_name="南村户"), S.PUBLICITY)
    client.force_login(county_reviewer)
    response = client.get(reverse("renovation:publicity_list", args=[here.pk, level]))
    assert response.status_code == 200
    text = re.sub(r"\s+", "", pdf_text(response.content, tmp_path))
    expected = {
        "village": {"东村户"},
        "township": {"东村户", "西村户"},
        "county": {"东村户", "西村户", "南村户"},
    }[level]
    assert {n for n in ("东村户", "西村户", "南村户") if n in text} == expected
    assert "负责人签字" in text and "（盖章）" in text
    assert here.household.id_number not in text
    assert_inside_margins(first_page_png(response.content, tmp_path), landscape=True)


def test_signed_scan_on_the_step_files_the_archive_item(
    areas, client, township_user, county_reviewer
):
    project = make_project(HouseholdFactory(village=areas["village"]), S.TOWNSHIP_REVIEWED)
    assert not project.application_file

    def application_item():
        archive = build_archive(project.household, township_user)
        return next(i for i in archive.projects[0].items if i.label == "改造申请书")

    assert not application_item().present
    client.force_login(township_user)
    # The project's page offers the form and the way back for its scan ...
    detail = client.get(reverse("renovation:detail", args=[project.pk])).content.decode()
    assert reverse("renovation:paper", args=[project.pk, "application"]) in detail
    assert reverse("renovation:paper_scan", args=[project.pk, "application"]) in detail
    # ... and each step's page its own forms (the township's review: its form).
    step = client.get(reverse("renovation:step", args=[project.pk, "joint_review"]))
    assert step.status_code == 403  # joint review is the county's step
    client.force_login(county_reviewer)
    step = client.get(reverse("renovation:step", args=[project.pk, "joint_review"]))
    html = step.content.decode()
    assert reverse("renovation:paper", args=[project.pk, "joint_review"]) in html
    assert reverse("renovation:paper_scan", args=[project.pk, "joint_review"]) in html
    assert reverse("renovation:paper", args=[project.pk, "commitment"]) not in html
    client.force_login(township_user)
    url = reverse("renovation:paper_scan", args=[project.pk, "application"])
    response = client.post(url, {"file": upload("scan.jpg", jpeg_bytes())})
    assert response.status_code == 302
    scan = SignedPaper.objects.unscoped("test").get(project=project)
    assert scan.kind == "application" and scan.content_type == "image/jpeg"
    item = application_item()
    assert item.present and item.url == reverse("renovation:file", args=["paper", scan.pk])
    assert client.get(item.url).status_code == 200
    annotated = with_archive_documents(RenovationProject.objects.unscoped("test")).get(
        pk=project.pk
    )
    assert annotated.doc_application is True


def test_scanned_evaluation_form_completes_the_archive(areas, township_user):
    project = make_project(HouseholdFactory(village=areas["village"]), S.ACCEPTED)
    qs = with_archive_documents(RenovationProject.objects.unscoped("test").filter(pk=project.pk))
    assert qs.get().doc_evaluation  # the acceptance's own form
    from renovation.models import Acceptance

    Acceptance.objects.unscoped("test").filter(project=project).update(evaluation_form="")
    assert not qs.get().doc_evaluation
    from renovation.services import signed_paper_upload

    signed_paper_upload(
        project=project,
        by=township_user,
        kind="acceptance",
        file=upload("e.pdf", pdf_bytes(), "application/pdf"),
    )
    assert qs.get().doc_evaluation
    assert qs.filter(archive_complete_q()).exists() is False  # other documents still missing


def test_bad_scan_is_refused_and_stores_nothing(areas, client, township_user):
    project = make_project(HouseholdFactory(village=areas["village"]), S.APPLIED)
    client.force_login(township_user)
    url = reverse("renovation:paper_scan", args=[project.pk, "application"])
    response = client.post(url, {"file": upload("x.jpg", b"not an image", "image/jpeg")})
    assert response.status_code == 200
    assert "不是可接受的文件类型" in response.content.decode()
    assert not SignedPaper.objects.unscoped("test").exists()
    assert (
        client.get(reverse("renovation:paper_scan", args=[project.pk, "nonsense"])).status_code
        == 404
    )


def test_another_township_gets_404_and_an_official_403(
    areas, client, other_township_user, official
):
    project = make_project(HouseholdFactory(village=areas["village"]), S.PUBLICITY)
    urls = [
        reverse("renovation:paper", args=[project.pk, "application"]),
        reverse("renovation:publicity_list", args=[project.pk, "village"]),
        reverse("renovation:paper_scan", args=[project.pk, "application"]),
    ]
    client.force_login(other_township_user)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(urls[2], {"file": upload("s.pdf", pdf_bytes(), "application/pdf")}).status_code
        == 404
    )
    client.force_login(official)
    assert client.get(urls[0]).status_code == 200
    assert (
        client.post(urls[2], {"file": upload("s.pdf", pdf_bytes(), "application/pdf")}).status_code
        == 403
    )
    assert not SignedPaper.objects.unscoped("test").exists()
