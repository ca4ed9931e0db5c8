"""Issue 13.4: one ScopedQuerySet, the scope rule as data, and reads that cannot forget it."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models import Count

from accounts.scoping import ScopedQuerySet, ScopeError, scope_guard, unscoped
from households.models import Household
from tests.factories import MemberFactory


def _area_bound_models():
    found = []
    for model in apps.get_models():
        qs_class = type(model._default_manager.get_queryset())
        if issubclass(qs_class, ScopedQuerySet) and qs_class.guarded:
            found.append(model)
    return found


AREA_BOUND = _area_bound_models()


def test_every_household_related_model_is_area_bound():
    names = {m.__name__ for m in AREA_BOUND}
    expected = {"Household", "Member", "RenovationProject", "PayoutLine", "PayoutBatch"}
    expected |= {"RectificationItem", "RectificationCampaign", "Alert", "MonthlyReport"}
    expected |= {"HouseholdImport", "LedgerImport", "DepartmentList", "Campaign"}
    assert expected <= names


@pytest.mark.parametrize("model", AREA_BOUND, ids=lambda m: m._meta.label)
def test_unscoped_read_of_an_area_bound_model_raises(db, model, township_user):
    with scope_guard():
        for read in (
            lambda: list(model.objects.all()),
            lambda: model.objects.count(),
            lambda: model.objects.exists(),
            lambda: model.objects.filter(pk=1).first(),
            lambda: model.objects.aggregate(n=Count("pk")),
            lambda: list(model.objects.iterator()),
            lambda: model.objects.filter(pk=0).update(),
            lambda: model.objects.filter(pk=0).delete(),
        ):
            with pytest.raises(ScopeError, match=model.__name__):
                read()
        # Scoped and explicitly unscoped reads go through.
        assert model.objects.visible_to(township_user).filter(pk=0).count() == 0
        assert list(model.objects.visible_to(township_user).filter(pk=0).values("pk")) == []
        assert model.objects.unscoped("test").filter(pk=0).exists() is False
        with unscoped("a task of the test"):
            assert list(model.objects.filter(pk=0)) == []


def test_scoped_reads_and_held_objects(household, other_household, township_user):
    MemberFactory(household=household, name="张小三")
    with scope_guard():
        visible = Household.objects.visible_to(township_user)
        assert list(visible.values_list("head_name", flat=True)) == ["张三"]
        assert Household.objects.in_area("141124101").get().head_name == "李四"
        held = visible.get()
        # A related manager of a held object, a prefetch and refresh_from_db are scoped.
        assert [m.name for m in held.members.all()] == ["张小三"]
        assert [m.name for m in visible.prefetch_related("members")[0].members.all()] == ["张小三"]
        held.refresh_from_db()
        with pytest.raises(ScopeError):
            Household.objects.get(pk=other_household.pk)


def test_a_page_that_forgets_the_scope_fails_instead_of_leaking(client, other_household):
    """Outside a scope, a read inside a request raises: armed by the middleware."""
    from django.test import RequestFactory

    from accounts.scoping import ScopeGuardMiddleware

    def leaky_view(request):
        return list(Household.objects.all())

    with pytest.raises(ScopeError):
        ScopeGuardMiddleware(leaky_view)(RequestFactory().get("/"))
    # Outside a request (tasks, commands, shell) the guard is not armed.
    assert list(Household.objects.all()) == [other_household]
