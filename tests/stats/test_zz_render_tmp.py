import pytest
from tests.stats import dataset
def test_render(client, auth, app):
    dataset.county()
    auth.login("reception")
    html = client.get("/staff/stats/?start=2026-11-02&end=2026-11-15").get_data(as_text=True)
    open("/tmp/statsbench/dash.html", "w").write(html)
    open("/tmp/statsbench/tr.html", "w").write(client.get("/transparency").get_data(as_text=True))
