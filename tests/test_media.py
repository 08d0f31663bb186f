"""Photos and signatures through signed /media links: the bytes arrive, altered or expired links do not."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from app.media.links import STEP, MediaLinks
from tests.console_support import reuse_case
from tests.factories import token_for


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _attachment_id(url: str) -> str:
    return _path(url).split("/")[2]


def test_api_links_stream_the_files_and_expire(client, store, config):
    case = reuse_case(store, files_of_both=False)
    headers = token_for(client, case["verifier"])
    visit = client.get(f"/api/v1/visits/{case['original'].id}", headers=headers).json
    photo = next(a for a in visit["attachments"] if a["slot"] == "photo.front_of_house")
    assert photo["url"].startswith("http://localhost/media/")  # the app's address, not the object store's
    original = client.get(_path(photo["url"]))
    assert original.status_code == 200 and original.mimetype == "image/jpeg"
    assert original.data[:2] == b"\xff\xd8" and len(original.data) == photo["size"]
    max_age = int(original.headers["Cache-Control"].split("max-age=")[1])
    assert 0 < max_age <= config.PRESIGN_TTL_SECONDS  # the browser keeps it no longer than the link lives
    thumb = client.get(_path(photo["thumbnail_url"]))
    assert thumb.status_code == 200 and len(thumb.data) < len(original.data)

    other = next(a for a in visit["attachments"] if a["slot"] == "photo.stove")
    forged = _path(photo["url"]).replace(_attachment_id(photo["url"]), _attachment_id(other["url"]))
    assert client.get(forged).json["errors"]["reason"] == "link_invalid"
    unsigned = _path(photo["url"]).split("?")[0]
    assert client.get(unsigned).status_code == 403

    stale = MediaLinks(config.SECRET_KEY, config.PRESIGN_TTL_SECONDS, clock=lambda: time.time() - 3600)
    expired = client.get(stale.url(_attachment_id(photo["url"])))
    assert expired.status_code == 403 and expired.json["errors"]["reason"] == "link_expired"


def test_no_link_outlives_its_ttl():
    for ttl in (5, 60, 300, 3600):
        for start in range(1_700_000_000, 1_700_000_000 + 2 * STEP):
            links = MediaLinks("k", ttl, clock=lambda start=start: float(start))
            left = links.expiry() - start
            assert 0 < left <= ttl
            assert left > ttl - STEP  # rounded to share cache entries, never by more than a step


def test_one_public_url_for_photo_links_and_phones(client, store, config, monkeypatch):
    """Behind a proxy, PUBLIC_URL is what clients reach: the API's photo links and the Collect server URL."""
    monkeypatch.setattr(config, "PUBLIC_URL", "https://doorstep.example.org")
    case = reuse_case(store, files_of_both=False)
    headers = token_for(client, case["verifier"])
    visit = client.get(f"/api/v1/visits/{case['original'].id}", headers=headers).json
    links = [a["url"] for a in visit["attachments"] if a.get("url")]
    assert len(links) == 8 and all(url.startswith("https://doorstep.example.org/media/") for url in links)
    supervisor = token_for(client, case["supervisor"])
    cadre = case["other_cadre"]
    resp = client.post(f"/api/v1/users/{cadre.id}/app-tokens", json={"label": "手机"}, headers=supervisor)
    assert resp.status_code == 201, resp.json
    server_url = resp.json["server_url"]
    assert server_url.startswith("https://doorstep.example.org/openrosa/key/")
    listed = client.get(urlsplit(server_url).path + "/formList", headers={"X-OpenRosa-Version": "1.0"})
    assert listed.status_code == 200, listed.data
    links = re.findall(r"<(downloadUrl|manifestUrl)>([^<]+)<", listed.get_data(as_text=True))
    assert {kind for kind, _ in links} == {"downloadUrl", "manifestUrl"}
    assert all(url.startswith(server_url + "/") for _, url in links), links  # the phone follows these
