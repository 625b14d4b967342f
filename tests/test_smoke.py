from tests import factories


def test_booking_end_to_end(client, app):
    s = factories.session()
    page = client.get(f"/reception/sessions/{s.id}")
    assert page.status_code == 200
    assert 'data-free-places="3"' in page.text
    response = client.post(f"/reception/sessions/{s.id}", data=factories.booking_form())
    assert response.status_code == 303, response.text
    receipt = client.get(response.headers["Location"])
    assert "data-booking-code" in receipt.text
