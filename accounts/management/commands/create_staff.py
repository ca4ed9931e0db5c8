"""Create (or, with --update, change) one staff account from the command line.

    python manage.py create_staff zhangsan --role township_staff --area 141124100000 \
        --password '...' --name 张三

A user name that exists is an error unless --update is given: a typo must not silently
change someone else's role, area or password.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import ROLE_AREA_LEVEL, Area, AreaLevel, Role, User
from core.audit import acting_as

COMMAND = "create_staff"


def _role_list() -> str:
    return "；".join(f"{role.value}（{role.label}）" for role in Role)


class Command(BaseCommand):
    help = "创建一个工作人员账号（或用 --update 修改）。Create one staff account."

    def add_arguments(self, parser):
        parser.add_argument("username", help="登录名")
        parser.add_argument("--role", required=True, help="角色：" + _role_list())
        parser.add_argument("--area", required=True, help="所属区划的12位统计用区划代码")
        parser.add_argument("--password", required=True, help="初始密码（须符合密码规则）")
        parser.add_argument("--name", default="", help="姓名（中文全名）")
        parser.add_argument(
            "--update",
            action="store_true",
            help="账号已存在时修改其角色、区划、密码和姓名。Update an existing account.",
        )

    def handle(self, *args, username: str, role: str, area: str, password: str, **options):
        try:
            role = Role(role)
        except ValueError:
            raise CommandError(
                f"未知角色“{role}”。可用角色：{_role_list()}。"
                f" Unknown role {role!r}; valid roles: {', '.join(Role.values)}."
            ) from None

        area_obj = Area.objects.filter(pk=area.strip()).first()
        if area_obj is None:
            raise CommandError(
                f"区划代码“{area}”不存在，请先建立该区划或检查代码（12位）。"
                f" Unknown area code {area!r}."
            )
        if area_obj.level not in ROLE_AREA_LEVEL[role]:
            levels = "、".join(AreaLevel(level).label for level in ROLE_AREA_LEVEL[role])
            raise CommandError(
                f"角色“{role.label}”须属于{levels}级区划，"
                f"而{area_obj.name}（{area_obj.code}）是{area_obj.get_level_display()}。"
                f" Role {role.value} needs an area of level"
                f" {'/'.join(sorted(ROLE_AREA_LEVEL[role]))}, {area_obj.code} is {area_obj.level}."
            )

        user = User.objects.filter(username=username).first()
        if user is not None and not options["update"]:
            raise CommandError(
                f"用户“{username}”已存在；如要修改其角色、区划或密码，请加 --update。"
                f" User {username!r} already exists; use --update to change it."
            )
        created = user is None
        user = user or User(username=username)
        user.role = role
        user.area = area_obj
        if options["name"]:
            user.full_name = options["name"]
        user.is_active = True

        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            reasons = "；".join(exc.messages)
            raise CommandError(f"密码不符合要求：{reasons}。 Password rejected.") from None
        user.set_password(password)
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None

        with acting_as(None, command=COMMAND), transaction.atomic():
            user.save()
        verb = "已创建" if created else "已更新"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb}账号 {user.username}（{user.full_name or '未填姓名'}）："
                f"{role.label}，{area_obj.name}（{area_obj.code}）。"
            )
        )
