"""Work without signal (issue 19 point 3), on a 375×812 phone in Chromium.

Offline, an inspection with a photo is kept on the phone and listed as 待上传; a reload offline
still lists it (the service worker serves the page); back online it is stored once. The same
upload sent twice stores one record. An entry for a household that left the user's area while
the phone was offline comes back as a visible conflict with its reason, and stays until the
user discards it. The household list taken offline opens the form of a household never
opened before.
"""

from __future__ import annotations

import re

import pytest

from households.models import Household
from inspections.models import InspectionRecord, Photo
from tests.browser.phone import login_on_phone
from tests.conftest import PASSWORD
from tests.inspections.factories import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username: str) -> None:
    login_on_phone(page, live_server, username, PASSWORD)


def _controlled(page) -> None:
    """The service worker controls the page, and the page itself is kept.

    Polled from here: Playwright's wait_for_function evaluates its predicate with eval, which
    the app's Content-Security-Policy refuses. A page that loaded while the worker was still
    activating stays uncontrolled (its claim came before the page): it is loaded again."""
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for attempt in range(60):
        if page.evaluate("!!navigator.serviceWorker.controller"):
            break
        if attempt % 10 == 9:
            page.reload()
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the service worker never took control of the page")
    page.reload()  # the first visit came before the worker: this one is kept


def _records(household) -> int:
    return InspectionRecord.objects.unscoped("test").filter(household=household).count()


def test_an_inspection_made_offline_is_kept_listed_and_stored_once(
    live_server, page, tmp_path, township_user, areas
):
    from tests.factories import HouseholdFactory

    household = HouseholdFactory(village=areas["village"], head_name="王小明")
    photo = tmp_path / "IMG_0101.jpg"
    photo.write_bytes(jpeg_bytes())
    _login(page, live_server, township_user.username)
    form_url = f"{live_server.url}/inspections/households/{household.pk}/inspections/new/"
    page.goto(form_url)
    _controlled(page)

    page.context.set_offline(True)
    page.check("input[name=occupied][value=True]")
    page.fill("#id_findings", "屋面漏雨，墙体开裂")
    page.set_input_files("#id_photos", str(photo))
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存在本机（待上传）")
    outbox = page.locator("[data-outbox] .outbox-item")
    assert outbox.count() == 1
    assert "待上传" in outbox.inner_text() and "王小明" in outbox.inner_text()
    assert "照片1张" in outbox.inner_text()
    assert _records(household) == 0

    # A reload without network: the page comes from the service worker, the entry is there.
    response = page.reload()
    assert response is None or response.from_service_worker
    page.locator("[data-outbox] .outbox-item", has_text="王小明").wait_for()
    assert page.locator("[data-outbox] .outbox-item").count() == 1
    assert page.locator("#id_findings").is_visible()

    # The network is back: it is sent by itself, and stored once, with its photo.
    page.context.set_offline(False)
    page.wait_for_selector("text=已上传1条离线录入的记录")
    assert page.locator("[data-outbox] .outbox-item").count() == 0
    assert _records(household) == 1
    record = InspectionRecord.objects.unscoped("test").get(household=household)
    assert record.findings == "屋面漏雨，墙体开裂" and record.client_id is not None
    assert Photo.objects.unscoped("test").filter(inspection=record).count() == 1

    # The same upload sent twice (the phone never heard the first answer): one record.
    statuses = page.evaluate(
        """async ([url, id]) => {
            const send = () => {
                const body = new FormData();
                body.append('inspected_on', '2026-11-20');
                body.append('occupied', 'True');
                body.append('findings', '重发的同一条');
                body.append('client_id', id);
                const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
                return fetch(url, {method: 'POST', body, credentials: 'same-origin',
                                   headers: {'X-Anju-Offline': '1', 'X-CSRFToken': token}})
                    .then(r => r.status);
            };
            return [await send(), await send()];
        }""",
        [form_url, "7f1f4c1e-0d1e-4a59-9d1c-3d2f5b8a0c11"],
    )
    assert statuses == [201, 201]
    assert _records(household) == 2


def test_an_entry_for_a_household_that_left_the_area_comes_back_as_a_conflict(
    live_server, page, township_user, areas
):
    from tests.factories import HouseholdFactory

    opened = HouseholdFactory(village=areas["village"], head_name="赵一")
    moved = HouseholdFactory(village=areas["village"], head_name="钱二")
    _login(page, live_server, township_user.username)
    # Before going to the village: the household list and one inspection form are kept.
    page.goto(f"{live_server.url}/inspections/field/")
    _controlled(page)
    page.click("button:has-text('保存名单到本机')")
    page.wait_for_selector("text=本机已保存2户")
    page.goto(f"{live_server.url}/inspections/households/{opened.pk}/inspections/new/")

    page.context.set_offline(True)
    # Offline lookup, then the form of a household never opened before.
    page.goto(f"{live_server.url}/inspections/field/")
    page.wait_for_selector("text=本机已保存2户")
    page.fill("[data-households-search]", "钱二")
    row = page.locator("[data-households-table] tbody tr", has_text="钱二")
    row.wait_for()
    assert page.locator("[data-households-table] tbody tr").count() == 1
    assert row.count() == 1 and moved.id_number_masked in row.inner_text()
    assert moved.id_number not in page.content()  # masked numbers only
    row.locator("a", has_text="录入排查").click()
    page.wait_for_url(re.compile(rf"/households/{moved.pk}/inspections/new/$"))
    assert "钱二" in page.locator("[data-household-head]").inner_text()
    page.check("input[name=occupied][value=False]")
    page.fill("#id_findings", "无人居住")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存在本机（待上传）")

    # Meanwhile the household moved to another township.
    Household.objects.filter(pk=moved.pk).update(village=areas["other_village"])
    page.context.set_offline(False)
    conflict = page.locator("[data-outbox] .outbox-item.conflict")
    conflict.wait_for()
    assert "钱二" in conflict.inner_text()
    assert "该户已不在您的辖区" in conflict.inner_text()
    assert "未能保存" in conflict.inner_text()
    assert _records(moved) == 0
    # It stays (also on the field page) until the user discards it.
    page.goto(f"{live_server.url}/inspections/field/")
    page.locator("[data-outbox] .outbox-item.conflict", has_text="钱二").wait_for()
    assert page.locator("[data-outbox] .outbox-item").count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('放弃这条记录')")
    page.wait_for_selector("text=本机没有待上传的记录")

    # Signing out deletes the households kept on the phone and the pages the worker kept.
    with page.expect_navigation():
        page.evaluate(
            "document.querySelector('form[action$=\"/accounts/logout/\"]').requestSubmit()"
        )
    kept = page.evaluate(
        """() => new Promise(done => {
            const open = indexedDB.open('anju-offline', 1);
            open.onsuccess = () => {
                const store = open.result.transaction('households').objectStore('households');
                const read = store.count();
                read.onsuccess = () => caches.has('anju-pages')
                    .then(pages => done([read.result, pages]));
            };
        })"""
    )
    assert kept == [0, False]


def test_a_weak_signal_that_fails_on_the_way_keeps_the_entry(
    live_server, browser, tmp_path, township_user, areas
):
    """With network the page sends the entry itself; when the upload fails on the way (the
    signal drops mid-upload), the entry is kept as 待上传 instead of lost, then sent once.

    The dropped upload is Playwright's routing, which does not see requests that a service
    worker handles: this context runs without one (the page's sending does not need it)."""
    from tests.factories import HouseholdFactory

    household = HouseholdFactory(village=areas["village"], head_name="孙三")
    photo = tmp_path / "IMG_0202.jpg"
    photo.write_bytes(jpeg_bytes())
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    page.set_default_timeout(10_000)
    _login(page, live_server, township_user.username)
    page.goto(f"{live_server.url}/inspections/households/{household.pk}/inspections/new/")

    def drop_posts(route):
        if route.request.method == "POST":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/inspections/new/", drop_posts)
    page.check("input[name=occupied][value=True]")
    page.fill("#id_findings", "东墙裂缝")
    page.set_input_files("#id_photos", str(photo))
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=信号不好，未能发送")
    page.locator("[data-outbox] .outbox-item", has_text="孙三").wait_for()
    assert _records(household) == 0

    page.unroute("**/inspections/new/")
    page.click("[data-outbox-send]")
    page.wait_for_selector("text=已上传1条离线录入的记录")
    assert _records(household) == 1
    record = InspectionRecord.objects.unscoped("test").get(household=household)
    assert Photo.objects.unscoped("test").filter(inspection=record).count() == 1

    # With a good signal the page sends it and goes to the household, with the page's message.
    page.goto(f"{live_server.url}/inspections/households/{household.pk}/inspections/new/")
    page.check("input[name=occupied][value=True]")
    page.fill("#id_findings", "复查：裂缝未扩大")
    page.click("button:has-text('保存')")
    page.wait_for_url(re.compile(rf"/inspections/households/{household.pk}/$"))
    page.wait_for_selector("text=已保存排查记录")
    assert _records(household) == 2
    # A refused entry is shown by the page itself, with the form's message.
    page.goto(f"{live_server.url}/inspections/households/{household.pk}/inspections/new/")
    page.check("input[name=occupied][value=True]")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=请填写排查情况")
    assert _records(household) == 2
    context.close()
