"""API tokens: hashed at rest, expiring, and revoked whenever the account behind them changes.

Tokens are django-rest-knox's: the database keeps a SHA-512 digest and the first characters
(`token_key`, enough to name a token in a list), never the token itself, and each token
expires after `REST_KNOX["TOKEN_TTL"]`. A user may hold a few at once (one per script or
device, up to `TOKEN_LIMIT_PER_USER`), list them and revoke any of them.

Every token of a user is revoked when what it stood for changes: the password (changed by
the user or reset by the county), the active flag, the role or the area, and when the user
signs out of the site. The signal handlers below do it for every path that saves a user
(services, admin, `create_staff`, the shell), not only the pages of 账号管理.
"""

from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_out
from django.db.models import Q
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from accounts.models import User
from core.errors import DomainError

log = logging.getLogger(__name__)

# A change of any of these makes every token of the account invalid.
REVOKING_FIELDS = ("password", "is_active", "role", "area_id")


def issue(user: User) -> tuple[AuthToken, str]:
    """A new token for `user`: the stored row and the token itself (shown once only)."""
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None and live(user).count() >= limit:
        raise DomainError(f"每个账号最多同时持有 {limit} 个令牌，请先撤销不用的令牌。")
    instance, token = AuthToken.objects.create(user=user)
    log.info("API token %s issued to user %s", instance.token_key, user.pk)
    return instance, token


def live(user: User):
    """The user's tokens that have not expired, newest first."""
    return AuthToken.objects.filter(user=user).filter(
        Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
    )


def revoke(user: User, token_key: str) -> int:
    """Revoke the user's own token(s) named by `token_key`; another user's is not found."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    if deleted:
        log.info("API token %s of user %s revoked", token_key, user.pk)
    return deleted


def revoke_all(user: User, *, reason: str) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    if deleted:
        log.info("%d API token(s) of user %s revoked: %s", deleted, user.pk, reason)
    return deleted


@receiver(pre_save, sender=User, dispatch_uid="accounts.tokens.note_change")
def _note_change(sender, instance: User, raw: bool = False, update_fields=None, **kwargs):
    instance._tokens_revoked_for = ""
    if raw or instance.pk is None:
        return
    fields = [
        f
        for f in REVOKING_FIELDS
        if update_fields is None or f.removesuffix("_id") in update_fields or f in update_fields
    ]
    if not fields:  # e.g. the time of the last sign-in
        return
    before = User.objects.filter(pk=instance.pk).values(*fields).first()
    if before is None:
        return
    changed = [f for f in fields if before[f] != getattr(instance, f)]
    instance._tokens_revoked_for = ", ".join(changed)


@receiver(post_save, sender=User, dispatch_uid="accounts.tokens.revoke_on_change")
def _revoke_on_change(sender, instance: User, **kwargs) -> None:
    reason = getattr(instance, "_tokens_revoked_for", "")
    if reason:
        revoke_all(instance, reason=f"account changed ({reason})")


@receiver(user_logged_out, dispatch_uid="accounts.tokens.revoke_on_logout")
def _revoke_on_logout(sender, request, user, **kwargs) -> None:
    if user is not None and user.pk is not None:
        revoke_all(user, reason="signed out")
