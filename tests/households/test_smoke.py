from django.urls import reverse


def test_township_user_sees_own_household_only(client, township_user, household, other_household):
    client.force_login(township_user)
    response = client.get(reverse("households:list"))
    assert response.status_code == 200
    assert "张三" in response.content.decode()
    assert "李四" not in response.content.decode()
    assert client.get(other_household.get_absolute_url()).status_code == 404
