import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, User

GOOD_PASSWORD = "Lin-quan-2026!"


def run(*args):
    call_command("create_staff", *args)


def test_creates_a_township_user_who_can_sign_in(areas, capsys):
    run(
        "wangfang",
        "--role",
        "township_staff",
        "--area",
        "141124100000",
        "--password",
        GOOD_PASSWORD,
        "--name",
        "王芳",
    )

    user = User.objects.get(username="wangfang")
    assert (user.role, user.area_id, user.full_name) == (
        Role.TOWNSHIP_STAFF,
        "141124100000",
        "王芳",
    )
    assert user.check_password(GOOD_PASSWORD)
    assert "已创建账号 wangfang" in capsys.readouterr().out


def test_existing_user_is_refused_without_update(areas, township_user):
    with pytest.raises(CommandError, match="已存在.*--update"):
        run(
            "township_a",
            "--role",
            "county_reviewer",
            "--area",
            "141124000000",
            "--password",
            GOOD_PASSWORD,
        )
    township_user.refresh_from_db()
    assert township_user.role == Role.TOWNSHIP_STAFF


def test_update_changes_role_area_and_password(areas, township_user):
    run(
        "township_a",
        "--role",
        "county_reviewer",
        "--area",
        "141124000000",
        "--password",
        GOOD_PASSWORD,
        "--update",
    )
    township_user.refresh_from_db()
    assert (township_user.role, township_user.area_id) == (Role.COUNTY_REVIEWER, "141124000000")
    assert township_user.check_password(GOOD_PASSWORD)


def test_unknown_role_lists_the_valid_ones(areas):
    with pytest.raises(CommandError) as exc:
        run("x1", "--role", "mayor", "--area", "141124000000", "--password", GOOD_PASSWORD)
    message = str(exc.value)
    assert "未知角色“mayor”" in message
    for role in Role:
        assert role.value in message
    assert not User.objects.filter(username="x1").exists()


def test_unknown_area_code(areas):
    with pytest.raises(CommandError, match="区划代码“141124999000”不存在"):
        run("x2", "--role", "township_staff", "--area", "141124999000", "--password", GOOD_PASSWORD)
    assert not User.objects.filter(username="x2").exists()


def test_role_and_area_level_must_match(areas):
    with pytest.raises(CommandError, match="村委会.*行政村.*临泉镇"):
        run("x3", "--role", "village_clerk", "--area", "141124100000", "--password", GOOD_PASSWORD)
    assert not User.objects.filter(username="x3").exists()


def test_weak_password_is_refused_with_reasons(areas):
    with pytest.raises(CommandError) as exc:
        run("x4", "--role", "official", "--area", "141124000000", "--password", "12345")
    message = str(exc.value)
    assert "密码不符合要求" in message
    assert "8" in message  # too short: at least 8 characters
    assert not User.objects.filter(username="x4").exists()
