from tests.helpers import entries, submit


def test_comment_is_held_for_moderation(client, app, post):
    response = submit(client)
    assert response.status_code == 303
    [entry] = entries(app)
    assert entry.status == "pending"
