from django.urls import path

from households import views

app_name = "households"

urlpatterns = [
    path("", views.HouseholdListView.as_view(), name="list"),
    path("new/", views.HouseholdCreateView.as_view(), name="create"),
    path("<int:pk>/", views.HouseholdDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.HouseholdUpdateView.as_view(), name="edit"),
    path("<int:pk>/reveal/<str:field>/", views.RevealNumberView.as_view(), name="reveal"),
]
