"""Error pages speak Chinese and say what happened and what to do next."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_another_townships_household_is_a_chinese_404_page(client, township_user, other_household):
    client.force_login(township_user)
    response = client.get(reverse("households:detail", args=[other_household.pk]))
    page = response.content.decode()
    assert response.status_code == 404
    assert "找不到该页面或记录" in page and "不在您的辖区内" in page
    assert other_household.head_name not in page


def test_api_404_stays_json(api_client, township_user, other_household):
    api_client.force_authenticate(township_user)
    response = api_client.get(f"/api/households/{other_household.pk}/")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


def test_403_page_names_the_reason(client, official, household):
    client.force_login(official)
    response = client.post(reverse("households:delete", args=[household.pk]))
    page = response.content.decode()
    assert response.status_code == 403
    assert "您没有进行此操作的权限" in page and "您的角色无权执行此操作" in page


def test_expired_form_is_a_chinese_csrf_page(township_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(township_user)
    response = client.post(reverse("logout"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期" in page and "刷新后重新填写" in page


def test_server_error_page_renders_without_a_request_context():
    request = RequestFactory().get("/")
    response = defaults.server_error(request)
    page = response.content.decode()
    assert response.status_code == 500
    assert "系统出错了" in page and "错误已记录" in page


def test_bad_request_page():
    request = RequestFactory().get("/")
    response = defaults.bad_request(request, Exception("bad"))
    assert response.status_code == 400 and "请求有误" in response.content.decode()


def test_an_english_browser_still_gets_chinese_messages(client, api_client, county_reviewer):
    """Django's and DRF's own messages follow the interface, not the browser's language."""
    client.force_login(county_reviewer)
    page = client.post(
        reverse("accounts:staff_create"), {}, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
    ).content.decode()
    assert "This field is required" not in page and "该字段是必填项" in page
    api_client.force_authenticate(county_reviewer)
    response = api_client.post("/api/households/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This field is required" not in response.content.decode()
