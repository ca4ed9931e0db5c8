"""The acceptance journey in Chromium: reviews, joint review, publicity, batch approval, letter."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from renovation.models import ProjectStatus, RenovationProject
from tests.conftest import PASSWORD
from tests.factories import HouseholdFactory
from tests.renovation.factories import make_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BEIJING = dt.timezone(dt.timedelta(hours=8))


def login(page, live_server, user):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_township_to_county_to_batch_approval_and_letter(
    live_server,
    page,
    township_user,
    county_reviewer,
    county_approver,
    household,
    areas,
    _frozen_today,
    tmp_path,
):
    project = make_project(household, ProjectStatus.APPLIED)
    others = [
        make_project(HouseholdFactory(village=areas["village"], head_name=n), status)
        for n, status in (
            ("王五", ProjectStatus.JOINT_REVIEWED),
            ("赵六", ProjectStatus.JOINT_REVIEWED),
        )
    ]
    detail = f"{live_server.url}/renovation/{project.pk}/"

    # Township staff: village review (on behalf of the village) and preliminary review.
    login(page, live_server, township_user)
    page.goto(detail)
    page.click("#step-village_review")
    page.fill("#id_cadres", "王书记、赵主任")
    page.fill("#id_representatives", "甲、乙、丙、丁、戊")
    page.check("input[name=result][value=passed]")
    page.set_input_files("#id_minutes_file", str(_minutes(tmp_path)))
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已录入村级评议")
    page.click("#step-township_review")
    page.check("input[name=passed][value='1']")
    page.fill("#id_opinion", "情况属实，同意上报")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已录入乡镇初审")
    assert page.inner_text("#project-status") == "乡镇初审通过"

    # County reviewer: joint review, then the three publicities for all three projects.
    login(page, live_server, county_reviewer)
    page.goto(detail)
    page.click("#step-joint_review")
    for dept in (
        "finance",
        "civil_affairs",
        "rural_revitalization",
        "emergency",
        "natural_resources",
    ):
        page.check(f"input[name=agree_{dept}][value='1']")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已录入联合审核")
    page.goto(f"{live_server.url}/renovation/")
    # Each level after the previous one has ended (7 days each).
    for level, starts_on in (
        ("village", "2026-05-20"),
        ("township", "2026-05-27"),
        ("county", "2026-06-03"),
    ):
        for p in [project, *others]:
            page.check(f"input[name=ids][value='{p.pk}']")
        page.select_option("#id_pub-level", level)
        page.fill("#id_pub-starts_on", starts_on)
        page.click("#publicity-batch")
        page.wait_for_selector("text=已为3个项目录入")

    # A month later the county approver batch-approves the three projects.
    _frozen_today.move_to(dt.datetime(2026, 6, 10, 9, tzinfo=BEIJING))
    login(page, live_server, county_approver)
    page.goto(f"{live_server.url}/renovation/?status=publicity")
    page.check("[data-check-all]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#approve-batch")
    page.wait_for_selector("text=已批准3个项目")
    assert RenovationProject.objects.filter(status=ProjectStatus.APPROVED).count() == 3

    page.goto(detail)
    with page.expect_download() as download_info:
        page.click("#letter-link")
    path = tmp_path / "letter.pdf"
    download_info.value.save_as(path)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "张三" in text
    assert "50,000.00" in text and "人民币伍万元整" in text


def _minutes(tmp_path):
    path = tmp_path / "minutes.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    return path
