"""The demo county: `python manage.py seed_demo` (run by `make run`).

Idempotent: areas and accounts are found by code and user name, households by the search
hash of their (deterministic) ID number, so a second run creates nothing. Existing demo
accounts keep the password their user set, unless --reset-passwords is given.

Then the workflow data (demo.workflow: appraisals, renovation projects at every
step, a paid payout batch, rectification items, alerts and self-check findings), in its own
transaction and only while the demo county has no renovation project yet.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Area, Role, User, level_of_code
from core import crypto
from core.audit import acting_as
from demo.county import (
    DEMO_CITY,
    DEMO_COUNTY,
    DEMO_COUNTY2,
    DEMO_COUNTY2_TOWNSHIPS,
    DEMO_PASSWORD,
    DEMO_PROVINCE,
    DEMO_TOWNSHIPS,
    DEMO_USERS,
    demo_county2_households,
    demo_households,
)
from demo.higher import seed_higher_levels
from demo.workflow import seed_workflow
from households import services
from households.models import Household

COMMAND = "seed_demo"


class Command(BaseCommand):
    help = (
        "创建演示县（示范县）及每种角色一个演示账号。Seed the demo county and one account per role."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help=f"把已存在的演示账号的密码、角色和区划恢复为初始值（密码 {DEMO_PASSWORD}）。",
        )

    def handle(self, *args, reset_passwords: bool = False, **options):
        with acting_as(None, command=COMMAND), transaction.atomic():
            new_areas = self._areas()
            new_households, new_members = self._households()
            accounts = self._users(reset_passwords)

        county = Area.objects.get(pk=DEMO_COUNTY[0])
        total = Household.objects.filter(county_code=county.code[:6]).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"演示县“{county.name}”：新增区划 {new_areas} 个、农户 {new_households} 户、"
                f"家庭成员 {new_members} 人；该县现有农户 {total} 户。"
            )
        )
        self.stdout.write("演示账号 Demo accounts:")
        for user, status in accounts:
            self.stdout.write(
                f"  {user.username:<11} {user.full_name:<4} {user.get_role_display()}，"
                f"{user.area.name}（{user.area.code}） [{status}]"
            )
        self.stdout.write(
            f"新建或重置的账号密码为 {DEMO_PASSWORD}；已存在的账号保留原密码"
            f"（--reset-passwords 可恢复）。未创建管理员（superuser）账号。"
        )
        for line in seed_workflow().lines():
            self.stdout.write(line)
        with acting_as(None, command=COMMAND):
            for line in seed_higher_levels():
                self.stdout.write(line)

    def _areas(self) -> int:
        created = 0
        province, new = Area.objects.get_or_create(
            code=DEMO_PROVINCE[0], defaults={"name": DEMO_PROVINCE[1], "level": "province"}
        )
        created += new
        city, new = Area.objects.get_or_create(
            code=DEMO_CITY[0], defaults={"name": DEMO_CITY[1], "level": "city", "parent": province}
        )
        created += new
        for (code, name), townships in (
            (DEMO_COUNTY, DEMO_TOWNSHIPS),
            (DEMO_COUNTY2, DEMO_COUNTY2_TOWNSHIPS),
        ):
            county, new = Area.objects.get_or_create(
                code=code, defaults={"name": name, "level": "county", "parent": city}
            )
            created += new
            if county.parent_id is None:  # a demo seeded before the city level existed
                county.parent = city
                county.save(update_fields=["parent"])
            for (t_code, t_name), villages in townships.items():
                township, new = Area.objects.get_or_create(
                    code=t_code, defaults={"name": t_name, "level": "township", "parent": county}
                )
                created += new
                for v_code, v_name in villages:
                    _, new = Area.objects.get_or_create(
                        code=v_code,
                        defaults={
                            "name": v_name,
                            "level": level_of_code(v_code),
                            "parent": township,
                        },
                    )
                    created += new
        return created

    def _households(self) -> tuple[int, int]:
        households = members = 0
        for village_code, data in demo_households() + demo_county2_households():
            county_code = village_code[:6]
            id_hash = crypto.search_hash(data.fields["id_number"])
            if Household.objects.filter(county_code=county_code, id_number_hash=id_hash).exists():
                continue  # already seeded (and maybe edited since: leave it alone)
            services.household_create(
                by=None,
                village=Area.objects.get(pk=village_code),
                **data.fields,
                members=data.members,
            )
            households += 1
            members += len(data.members)
        return households, members

    def _users(self, reset_passwords: bool) -> list[tuple[User, str]]:
        result = []
        for username, role, area_code, full_name in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username)
                status = "新建 created"
            elif reset_passwords:
                status = "已重置 reset"
            else:
                result.append((user, "已存在，未改动 kept"))
                continue
            user.full_name = full_name
            user.role = Role(role)
            user.area = Area.objects.get(pk=area_code)
            user.is_active = True
            user.set_password(DEMO_PASSWORD)
            user.full_clean(exclude=["password"])
            user.save()
            result.append((user, status))
        return result
