"""Factories: a county with two townships, valid national IDs, one user per role."""

from __future__ import annotations

import datetime as dt
import random

import factory

from accounts.models import Area, Role, User
from core.validators import id_check_digit
from households.models import Category, Household, Member, Relation

COUNTY_CODE = "141124000000"
_seq = iter(range(1, 10_000_000))


def make_id_number(
    region: str = "141124", birth: dt.date | None = None, seq: int | None = None
) -> str:
    birth = birth or dt.date(1950, 1, 1) + dt.timedelta(days=random.randint(0, 20000))  # noqa: S311
    seq = seq if seq is not None else next(_seq) % 1000
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


def make_bank_account() -> str:
    return "6217" + "".join(random.choice("0123456789") for _ in range(15))  # noqa: S311


def area(code: str, name: str, parent: Area | None = None) -> Area:
    from accounts.models import level_of_code

    obj, _ = Area.objects.get_or_create(
        code=code, defaults={"name": name, "level": level_of_code(code), "parent": parent}
    )
    return obj


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.TOWNSHIP_STAFF
    # Hashed when built: no second save after creation (factory_boy's deprecated path).
    password = factory.django.Password("Anju-pass-2026")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    head_name = factory.Sequence(lambda n: f"农户{n}")
    id_number = factory.LazyFunction(make_id_number)
    phone = "13800000000"
    address = "一组"
    family_size = 3
    category = Category.DIBAO
    identified_by = "minzheng"
    bank_account = factory.LazyFunction(make_bank_account)
    bank_name = "农村信用社"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"成员{n}")
    relation = Relation.CHILD
    id_number = factory.LazyFunction(make_id_number)


def build_county() -> dict[str, Area]:
    county = area(COUNTY_CODE, "示范县")
    t1 = area("141124100000", "临泉镇", county)
    t2 = area("141124101000", "白文镇", county)
    return {
        "county": county,
        "township": t1,
        "other_township": t2,
        "village": area("141124100201", "东村", t1),
        "village2": area("141124100202", "西村", t1),
        "other_village": area("141124101201", "南村", t2),
    }


def build_city() -> dict[str, Area]:
    """The county of `build_county`, hung under a city of a province with a second, smaller
    county, and another city of the same province with a county of its own: the areas of the
    city and province permission tests."""
    areas = build_county()
    province = area("140000000000", "山西省")
    city = area("141100000000", "吕梁市", province)
    other_city = area("140900000000", "忻州市", province)
    Area.objects.filter(pk=areas["county"].pk).update(parent=city)
    areas["county"].refresh_from_db()
    county2 = area("141125000000", "邻县", city)
    t3 = area("141125100000", "邻镇", county2)
    far_county = area("140921000000", "远县", other_city)
    far_township = area("140921100000", "远镇", far_county)
    return {
        **areas,
        "province": province,
        "city": city,
        "other_city": other_city,
        "county2": county2,
        "county2_township": t3,
        "county2_village": area("141125100201", "邻村", t3),
        "far_county": far_county,
        "far_township": far_township,
        "far_village": area("140921100201", "远村", far_township),
    }
