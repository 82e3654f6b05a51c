from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_search, name="search"),
    path("new/", views.customer_create, name="create"),
    path("overview/", views.registry_overview, name="overview"),
    path("mine/", views.my_connections, name="my_connections"),
    path("<str:number>/", views.customer_detail, name="detail"),
    path("<str:number>/edit/", views.customer_edit, name="edit"),
    path("<str:number>/status/", views.customer_status, name="status"),
    path("<str:number>/portal/", views.customer_portal, name="portal"),
    path("<str:number>/portal/code-slip/", views.customer_code_slip, name="code_slip"),
]
