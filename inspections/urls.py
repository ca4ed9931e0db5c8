app_name = "inspections"

urlpatterns: list = []
