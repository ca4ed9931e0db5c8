"""Staff accounts managed by the level above (账号管理).

Each reviewer opens, changes and closes the accounts of the level below in their own area: a
county reviewer those of its townships and villages, a city reviewer those of its counties
(reviewers, approvers, officials) and the city's read-only officials, a province reviewer those
of its cities and the province's officials. Nobody grants themselves or a colleague of the same
level their own powers from this page: accounts of one's own level come from the level above
or from the system administrator (`create_staff`, Django admin).
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ROLE_AREA_LEVEL, Area, AreaLevel, Role, User
from accounts.scoping import area_prefix
from core.audit import attributed
from core.errors import DomainError
from core.locking import lock_for_update

NOT_MANAGED = "该账号不在您的管理范围内。"

#: Manager role → the roles whose accounts it manages, within its own area.
MANAGED_BY = {
    Role.COUNTY_REVIEWER: (Role.TOWNSHIP_STAFF, Role.VILLAGE_CLERK),
    Role.CITY_REVIEWER: (
        Role.COUNTY_REVIEWER,
        Role.COUNTY_APPROVER,
        Role.OFFICIAL,
        Role.CITY_OFFICIAL,
    ),
    Role.PROVINCE_REVIEWER: (Role.CITY_REVIEWER, Role.CITY_OFFICIAL, Role.PROVINCE_OFFICIAL),
}
MANAGER_ROLES = frozenset(MANAGED_BY)
# The default for an administrator without a role (the county-level page of old).
MANAGED_ROLES = MANAGED_BY[Role.COUNTY_REVIEWER]


def managed_roles(by: User) -> tuple[str, ...]:
    """The roles whose accounts `by` may open and change."""
    if by.role in MANAGED_BY:
        return MANAGED_BY[by.role]
    if by.is_superuser:
        return tuple(r for r in Role if r not in MANAGER_ROLES or r == Role.COUNTY_REVIEWER)
    return ()


def county_of(user) -> Area:
    """The county `user` works in; a clear refusal for accounts above (or without) a county."""
    if user.area is None:
        raise DomainError("您的账号没有所属区划。")
    if user.area.county_code is None:
        raise DomainError("市、省级账号不属于某一个县，请在县级页面中选择县后查看。")
    return Area.objects.get(pk=user.area.county_code)


def _require_manager(by: User) -> None:
    if not (by.is_superuser or by.role in MANAGER_ROLES):
        raise DomainError("只有县、市、省住建部门审核员可以管理账号。")


def managed_users(by: User):
    """The accounts `by` may manage: those of the roles below them, in their own area."""
    prefix = area_prefix(by)  # "" for an administrator without an area: every area
    roles = managed_roles(by)
    if prefix is None or not roles:
        return User.objects.none()
    return User.objects.filter(role__in=roles, area__code__startswith=prefix)


def _check(by: User, *, role: str, area: Area | None) -> None:
    roles = managed_roles(by)
    if role not in roles:
        names = "、".join(Role(r).label for r in roles)
        raise DomainError(f"这里只能管理以下角色的账号：{names}；其他账号请联系上级或系统管理员。")
    if area is None:
        raise DomainError("请选择所属区划。")
    prefix = area_prefix(by)
    if prefix is None or not area.code.startswith(prefix):
        raise DomainError("只能为本辖区内的区划开设账号。")
    if area.level not in ROLE_AREA_LEVEL[role]:
        levels = "或".join(AreaLevel(level).label for level in sorted(ROLE_AREA_LEVEL[role]))
        raise DomainError(f"“{Role(role).label}”账号必须属于{levels}级区划。")


def _password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("密码不符合要求：" + "".join(exc.messages)) from exc


def _profile_set(
    user: User, *, full_name: str, role: str, area: Area, phone: str, email: str
) -> None:
    """The fields a manager gives an account, as opened and as changed (names trimmed)."""
    user.full_name = (full_name or "").strip()
    user.role = role
    user.area = area
    user.phone = phone.strip()
    user.email = email.strip()


def _name_taken(username: str) -> bool:
    return User.objects.filter(username__iexact=username).exists()


@attributed
def staff_create(
    *,
    by: User,
    username: str,
    full_name: str,
    role: str,
    area: Area,
    password: str,
    phone: str = "",
    email: str = "",
) -> User:
    _require_manager(by)
    _check(by, role=role, area=area)
    username = (username or "").strip()
    if not username:
        raise DomainError("请填写登录名。")
    user = User(username=username)
    _profile_set(user, full_name=full_name, role=role, area=area, phone=phone, email=email)
    if _name_taken(username):
        raise DomainError(f"登录名“{username}”已被使用，请换一个。")
    _password(password, user)
    try:
        user.full_clean(exclude=["password"], validate_unique=False)  # name: checked above
    except ValidationError as exc:
        raise DomainError("".join(m for ms in exc.message_dict.values() for m in ms)) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the same name, opened by someone else a moment ago
        raise DomainError(f"登录名“{username}”已被使用，请换一个。") from exc
    return user


@attributed
def staff_update(
    *,
    by: User,
    user: User,
    full_name: str,
    role: str,
    area: Area,
    is_active: bool,
    phone: str = "",
    email: str = "",
) -> User:
    _require_manager(by)
    with transaction.atomic():
        locked = lock_for_update(managed_users(by), user.pk, missing=NOT_MANAGED)
        _check(by, role=role, area=area)
        _profile_set(locked, full_name=full_name, role=role, area=area, phone=phone, email=email)
        locked.is_active = is_active
        locked.save()
    return locked


@attributed
def staff_set_password(*, by: User, user: User, password: str) -> User:
    """A new initial password (the person forgot theirs); the reset is in the history."""
    _require_manager(by)
    with transaction.atomic():
        locked = lock_for_update(managed_users(by), user.pk, missing=NOT_MANAGED)
        _password(password, locked)
        locked.set_password(password)
        locked.password_reset_at = timezone.now()
        locked.save(update_fields=["password", "password_reset_at"])
    return locked
