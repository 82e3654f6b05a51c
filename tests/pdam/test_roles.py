import pytest
from django.contrib.auth.models import Group, Permission

from pdam.roles import ROLE_PERMISSIONS, Role, roles_sync

pytestmark = pytest.mark.django_db


def test_every_role_has_a_group_with_exactly_its_permissions():
    roles_sync()
    for role in Role:
        group = Group.objects.get(name=role.value)
        codes = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        if role is Role.ADMIN:
            assert len(codes) == Permission.objects.count()
        else:
            assert codes == ROLE_PERMISSIONS[role]


def test_cashier_cannot_edit_the_registry(cashier_user):
    assert cashier_user.has_perm("customers.view_customer")
    assert not cashier_user.has_perm("customers.change_customer")
    assert not cashier_user.has_perm("customers.change_customer_status")


def test_unknown_permission_in_the_map_is_an_error(monkeypatch):
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.CS, {"customers.fly_to_the_moon"})
    with pytest.raises(LookupError):
        roles_sync()
