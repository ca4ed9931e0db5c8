from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ConflictError, DomainError, RoleRefused

# Under this prefix every answer is JSON, errors included (see core.schema).
API_PREFIX = "/api/"


def exception_handler(exc, context):
    """Domain errors become 403 (role refused), 400 (rule broken) or 409 (someone else got
    there first), by their class."""
    if isinstance(exc, RoleRefused):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ConflictError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DomainError):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    return drf_exception_handler(exc, context)


def not_found(request, exception):
    """handler404: a URL under /api/ that matches no route (e.g. `/api/households/1.5/`)
    answers like DRF's own 404, in JSON; pages keep Django's 404 page."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": str(NotFound.default_detail)},
            status=status.HTTP_404_NOT_FOUND,
            json_dumps_params={"ensure_ascii": False},
        )
    return defaults.page_not_found(request, exception)


class RecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Records that are listed, read and added (POST, through the serializer's service), never
    changed in place; a viewset adds its queryset (the user's rows) and its actions."""


class EditableRecordViewSet(mixins.UpdateModelMixin, RecordViewSet):
    """Records that are also changed (PUT/PATCH, through the serializer's service)."""


class ScopedFieldsMixin:
    """A serializer whose related fields offer only the rows the requesting user sees:
    `scoped_fields` names each field and its model (`Model.objects.visible_to(user)`)."""

    scoped_fields: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = request.user if request else None
        for name, model in self.scoped_fields.items():
            self.fields[name].queryset = model.objects.visible_to(user)


class _VisibleRows:
    """A related field that offers only the rows of `model` the requesting user sees
    (`visible_to(user)`), narrowed by `rows(queryset)` where the field takes fewer."""

    model: type

    def rows(self, queryset):
        return queryset

    def get_queryset(self):
        request = self.context.get("request")
        return self.rows(self.model.objects.visible_to(request.user if request else None))


class VisiblePrimaryKeyField(_VisibleRows, serializers.PrimaryKeyRelatedField):
    """A row of the user's area, by id: `model` names the scoped model."""


class VisibleSlugField(_VisibleRows, serializers.SlugRelatedField):
    """A row of the user's area, by a slug (`slug_field`): `model` names the scoped model."""
