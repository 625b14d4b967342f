"""The matter list's filters keep what was chosen, as a page and as an htmx fragment."""


def test_chosen_filters_stay_selected(client, auth):
    auth.login("evaluation")
    page = client.get("/staff/evaluation/?status=accepted&level=county&category=教育")
    assert page.status_code == 200
    for option in ('<option value="accepted" selected>', '<option value="county" selected>',
                   '<option value="教育" selected>'):
        assert option in page.text
    assert page.text.count(" selected>") == 3
    fragment = client.get("/staff/evaluation/?status=accepted", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
