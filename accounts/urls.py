from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.StaffListView.as_view(), name="staff_list"),
    path("new/", views.StaffCreateView.as_view(), name="staff_create"),
    path("<int:pk>/", views.StaffUpdateView.as_view(), name="staff_edit"),
    path("<int:pk>/password/", views.StaffPasswordView.as_view(), name="staff_password"),
]
