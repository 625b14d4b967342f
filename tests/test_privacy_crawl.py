"""What the public sees without credentials holds no citizen's identity: the demo county is
seeded, and every page reachable from the home page, every public GET route of the URL map
(with every real session, hearing and booking code), the Atom feed, the .ics files and the
receipt prints are fetched anonymously. None may show an ID number (any valid one, and the
seeded ones in any spelling), a mobile number, or a petitioner's full or given name.

A receipt reached with its own code and phone shows the citizen's own (masked) data: that is
a credential, and the crawl has none."""
from __future__ import annotations

import random
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from sqlalchemy import select

from portal import access, privacy
from portal.demo import seed_demo
from portal.evaluation.models import Hearing, Matter
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.reception.models import Booking, ReceptionSession
from tests import pii

LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""")
HOST = "portal.test"


def seeded_secrets() -> set[str]:
    """Every seeded citizen's full name, given name, ID number, phone and address."""
    people = [(b.name, privacy.decrypt(b.id_cipher), privacy.decrypt(b.phone_cipher), "")
              for b in db.session.scalars(select(Booking))]
    people += [(m.petitioner_name, privacy.decrypt(m.petitioner_id_cipher), m.phone, m.address)
               for m in db.session.scalars(select(Matter))]
    secrets = {privacy.decrypt(m.phone_cipher) for m in db.session.scalars(select(OutboxMessage))}
    for name, id_number, phone, address in people:
        secrets |= {name, name[1:], id_number, phone, address}
    return {s for s in secrets if s and len(s) >= 2}


def public_get_urls(app) -> set[str]:
    """Every public GET route, its arguments filled with every real object."""
    values = {
        "session_id": [str(i) for i in db.session.scalars(select(ReceptionSession.id))],
        "hearing_id": [str(i) for i in db.session.scalars(select(Hearing.id))],
        "code": list(db.session.scalars(select(Booking.code))),
    }
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if not access.ACCESS[rule.endpoint].public:
            continue
        names = list(rule.arguments)
        if not names:
            urls.add(rule.build({})[1])
        elif len(names) == 1 and names[0] in values:
            urls |= {rule.build({names[0]: v})[1] for v in values[names[0]]}
        elif names == ["field"]:
            urls |= {rule.build({"field": f})[1] for f in ("id_number", "phone")}
        else:
            raise AssertionError(f"no sample values for {rule.rule}: extend the crawl")
    return urls


def is_public_page(adapter, url: str) -> bool:
    path = urlsplit(url).path
    if path.startswith("/static/"):
        return False
    try:
        endpoint, _ = adapter.match(path, method="GET")
    except Exception:  # noqa: BLE001 - not a route, or not a GET one: nothing to crawl
        return False
    return access.ACCESS[endpoint].public


def crawl(app, client) -> dict[str, tuple[int, str]]:
    adapter = app.url_map.bind(HOST)
    queue = deque(["/", *sorted(public_get_urls(app))])
    seen: dict[str, tuple[int, str]] = {}
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        text = response.get_data(as_text=True)
        seen[url] = (response.status_code, text + " " + response.headers.get("Location", ""))
        assert response.status_code < 500, url
        targets = LINK.findall(text) + [response.headers.get("Location", "")]
        for target in filter(None, targets):
            absolute = urlsplit(urljoin(f"http://{HOST}{url}", target.replace("&amp;", "&")))
            local = absolute.path + (f"?{absolute.query}" if absolute.query else "")
            if absolute.netloc == HOST and local not in seen and is_public_page(adapter, local):
                queue.append(local)
    return seen


def test_no_public_page_feed_or_calendar_file_shows_a_citizen(app, client, auth):
    seed_demo(rng=random.Random(7))
    secrets = seeded_secrets()
    assert len(secrets) > 100
    pages = crawl(app, client)
    ok = [u for u, (status, _) in pages.items() if status == 200]
    assert len(pages) > 200 and "/evaluation/feed.xml" in ok
    assert any(u.startswith("/evaluation/results/") and u[-1].isdigit() for u in ok)
    assert any(u.startswith("/reception/sessions/") for u in ok)
    assert any(u.endswith(".ics") for u in pages) and any(u.endswith("/print") for u in pages)
    found = {url: pii.secrets_in(text, secrets) | pii.identifiers(text)
             for url, (_, text) in pages.items()}
    assert {url: leaks for url, leaks in found.items() if leaks} == {}
    # The detector does see people where staff see them (so the empty result means something).
    auth.login("reception")
    session_id = db.session.scalar(select(Booking.session_id).order_by(Booking.id))
    staff_page = client.get(f"/staff/reception/sessions/{session_id}").text
    assert pii.secrets_in(staff_page, secrets)


def test_the_detector_sees_every_spelling():
    number, phone = "330781198001011238", "13812345678"
    assert pii.id_numbers(f"证件 {number} ") == {number}
    assert pii.id_numbers("３３０７８１ １９８００１０１ １２３８") == {number}
    assert pii.id_numbers("330781-19800101-1238") == {number}
    assert pii.id_numbers("33078119800101123X") == set()  # wrong check digit: not an ID
    assert pii.id_numbers("330781198013011238") == set()  # no 13th month
    assert pii.phones("电话：138\u200b1234\u200b5678") == {phone}
    assert pii.phones("订单 213812345678") == set()
    assert pii.secrets_in("王建华来访", {"建华"}) == {"建华"}
