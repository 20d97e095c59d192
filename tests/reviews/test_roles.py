import pytest
from django.contrib.auth.models import Group, Permission

from reviews.roles import is_reviewer, reviewers
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_reviewers_group_holds_the_review_permission(reviewer1, editor):
    assert is_reviewer(reviewer1) and not is_reviewer(editor)
    assert list(reviewers()) == [reviewer1]


def test_a_reviewer_is_whoever_holds_the_permission_whatever_the_group_is_called():
    renamed = Group.objects.get(name="Reviewers")
    renamed.name = "Fact checkers"
    renamed.save()
    checker = make_user("checker", "Fact checkers")
    direct = make_user("direct")
    direct.user_permissions.add(Permission.objects.get(codename="review_claims"))
    assert is_reviewer(checker) and is_reviewer(direct)


def test_superusers_and_inactive_users_are_not_reviewers_unless_granted(reviewer1):
    root = make_user("root", superuser=True)
    reviewer1.is_active = False
    reviewer1.save()
    assert not is_reviewer(root) and not is_reviewer(reviewer1)
    assert list(reviewers()) == []
