"""Public pages: notices, results, the Atom feed — and never a petitioner's personal data."""
from __future__ import annotations

import random
from datetime import datetime

from lxml import etree
from sqlalchemy import select

from portal import privacy
from portal.demo import seed_demo
from portal.evaluation.models import Hearing, Matter
from portal.extensions import db
from tests.evaluation import factories
from tests.helpers import count_statements

ATOM = "{http://www.w3.org/2005/Atom}"


def _public_urls() -> dict[str, int]:
    """Every public page, with the status it must answer: a hearing's notice and result pages
    exist once published, and are 404 before."""
    urls = dict.fromkeys(["/", "/evaluation/notices/", "/evaluation/notices/?page=2",
                          "/evaluation/results/", "/evaluation/feed.xml"], 200)
    for hearing in db.session.scalars(select(Hearing)):
        urls[f"/evaluation/notices/{hearing.id}"] = 200 if hearing.notice_published_at else 404
        urls[f"/evaluation/results/{hearing.id}"] = 200 if hearing.result_published_at else 404
    return urls


def test_no_public_page_shows_a_petitioners_personal_data(client, clock):
    clock.set(datetime(2026, 11, 18, 10, 0))
    seed_demo(rng=random.Random(7))
    matters = db.session.scalars(select(Matter)).all()
    assert len(matters) >= 8
    secrets = []
    for m in matters:
        given = m.petitioner_name[1:]
        secrets += [m.petitioner_name, given, privacy.decrypt(m.petitioner_id_cipher), m.phone,
                    m.address]
    pages = {}
    for url, status in _public_urls().items():
        response = client.get(url)
        assert response.status_code == status, url
        if status == 200:
            pages[url] = response.text
    assert any("吴某某" in text for text in pages.values())  # masked names are there
    assert sum(1 for u in pages if u.startswith("/evaluation/results/") and u[-1].isdigit()) == 2
    for url, text in pages.items():
        for secret in secrets:
            assert secret not in text, (url, secret)


def test_notices_upcoming_first_then_past(client, clock):
    factories.published_result(clock)  # hearing on 23 Nov, now past once the clock moves on
    clock.set(datetime(2026, 11, 18, 10, 0))
    upcoming, _ = factories.noticed_hearing(
        matter_obj=factories.accepted_matter(number="XF-2026-0100", title="石桥村养殖场污水排放"),
        day=datetime(2026, 12, 1).date())
    clock.set(datetime(2026, 11, 25, 10, 0))
    page = client.get("/evaluation/notices/").text
    assert page.index("石桥村养殖场污水排放") < page.index("白果村土地征收补偿争议")
    assert page.index("即将召开") < page.index("已召开")
    assert "查看评价结果" in page
    home = client.get("/").text
    assert "石桥村养殖场污水排放" in home and "评价结果" in home


def test_unpublished_things_are_not_public(client, clock):
    planned, _ = factories.paneled_hearing()
    assert client.get(f"/evaluation/notices/{planned.id}").status_code == 404
    assert client.get(f"/evaluation/results/{planned.id}").status_code == 404
    assert client.get("/evaluation/notices/999").status_code == 404
    assert client.get("/evaluation/results/999").status_code == 404
    assert client.get("/evaluation/notices/?page=abc").status_code == 200
    assert client.get("/evaluation/").status_code == 303


def test_the_result_page_shows_counts_and_the_letters_published_part(client, clock):
    hearing, poll = factories.published_result(clock)
    page = client.get(f"/evaluation/results/{hearing.id}").text
    assert 'data-valid="9"' in page and 'data-manyi="6"' in page and 'data-bumanyi="3"' in page
    assert "评字〔2026〕1号" in page and "第三方评价意见书" in page
    assert "吴某某的诉求已依法处理" in page and "秋菊" not in page


def test_the_feed_is_valid_atom_with_absolute_links(client, clock):
    hearing, _ = factories.published_result(clock)
    response = client.get("/evaluation/feed.xml")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = etree.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{tag}") is not None
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2  # the notice and the result
    links = sorted(e.find(f"{ATOM}link").get("href") for e in entries)
    assert links == [f"http://portal.test/evaluation/notices/{hearing.id}",
                     f"http://portal.test/evaluation/results/{hearing.id}"]
    for entry in entries:
        for tag in ("id", "title", "updated", "summary"):
            assert entry.find(f"{ATOM}{tag}") is not None, tag
    assert "秋菊" not in response.text and factories.PETITIONER["phone"] not in response.text


def _statements(client, url: str) -> int:
    client.get(url)
    with count_statements() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def _results(clock, numbers):
    for n in numbers:
        factories.published_result(clock, number=f"XF-2026-{n:04d}")
    clock.set(datetime(2026, 11, 25, 10, 0))


def test_public_lists_do_not_grow_in_statements(client, clock):
    urls = ("/evaluation/notices/", "/evaluation/results/", "/evaluation/feed.xml", "/")
    _results(clock, range(1, 3))
    small = {url: _statements(client, url) for url in urls}
    _results(clock, range(3, 11))
    assert len(client.get("/evaluation/results/").text.split('class="session-card eval-card"')) == 11
    large = {url: _statements(client, url) for url in urls}
    assert small == large, (small, large)
    assert large["/evaluation/notices/"] <= 4 and large["/evaluation/results/"] <= 3, large
