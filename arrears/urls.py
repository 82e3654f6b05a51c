from django.urls import path

from arrears import views

app_name = "arrears"

urlpatterns = [
    path("late-fees/", views.rule_list, name="rules"),
    path("late-fees/new/", views.rule_create, name="rule_create"),
    path("waivers/", views.waiver_list, name="waivers"),
    path("waivers/new/", views.waiver_request, name="waiver_request"),
    path("waivers/<str:pk>/", views.waiver_detail, name="waiver_detail"),
]
