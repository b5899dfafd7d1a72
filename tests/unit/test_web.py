"""The web app's own pieces without a browser: the message catalogue holds every string the
pages show, sessions end when idle or too old, and sign-in sends people only to this site."""
import datetime
import pathlib

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from commonplace.clock import now
from web.sessions import Sessions, is_loopback

WEB = pathlib.Path(__file__).resolve().parents[2] / "web"


def test_every_string_of_the_pages_is_in_the_message_catalogue():
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = {message for _, _, message, _, _ in extract_from_dir(
        str(WEB), method_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2)})}
    found = {m if isinstance(m, str) else m[0] for m in found}
    with open(WEB / "translations" / "messages.pot", "rb") as pot:
        catalogued = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}
    assert found - catalogued == set(), "run: pybabel extract -F web/babel.cfg … (see the Makefile)"
    with open(WEB / "translations" / "en" / "LC_MESSAGES" / "messages.po", "rb") as po:
        english = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(po) if m.id}
    assert catalogued <= english  # English is shipped


def test_a_session_ends_when_idle_and_when_too_old(memory_db):
    sessions = Sessions(memory_db("web"))
    sessions.prepare()
    at, idle, lifetime = now(), datetime.timedelta(minutes=30), datetime.timedelta(hours=2)
    sessions.save("k1", {"user_id": "acme:ann"}, at, idle, lifetime)
    stored = sessions.find("k1")
    assert stored["expires_at"] <= at + idle and "k1" not in str(stored)  # kept under its hash only
    later = at + datetime.timedelta(minutes=20)
    sessions.save("k1", {"user_id": "acme:ann"}, later, idle, lifetime, stored)
    assert sessions.find("k1")["expires_at"] == later + idle  # a request starts the idle time again
    much_later = at + datetime.timedelta(hours=1, minutes=50)
    sessions.save("k1", {"user_id": "acme:ann"}, much_later, idle, lifetime, sessions.find("k1"))
    assert sessions.find("k1")["expires_at"] == at + lifetime  # never past its lifetime
    assert sessions.end_every_session_of("acme:ann") == 1 and sessions.find("k1") is None


@pytest.mark.parametrize("url,loopback", [("http://127.0.0.1:8080", True), ("http://localhost", True),
                                          ("http://[::1]:8080", True), ("https://commonplace.example.org", False)])
def test_the_cookie_is_secure_unless_the_app_is_on_loopback(url, loopback):
    assert is_loopback(url) is loopback


@pytest.mark.parametrize("target,safe", [("/communities/c1", True), ("//evil.example/x", False),
                                         ("https://evil.example/", False), ("javascript:alert(1)", False),
                                         ("", False), ("/\\evil.example", False)])
def test_sign_in_sends_people_only_to_this_site(target, safe):
    from flask import Flask

    from web.signin import safe_next

    app = Flask(__name__)
    app.add_url_rule("/", "home.home", lambda: "")
    with app.test_request_context():
        assert (safe_next(target) == target) is safe


@pytest.mark.parametrize("api,person", [
    ("Missing data for required field.", "Enter something here"),
    ("Length must be between 1 and 200.", "Enter 1 to 200 characters"),
    ("Not a valid integer.", "Enter a whole number"),
    ("Must be one of: open, approval.", "Choose one of the options"),
    ("only members of the community may write its knowledge", "Only members of the community may write its knowledge"),
])
def test_the_apis_field_messages_become_sentences_for_people(api, person):
    from flask import Flask
    from flask_babel import Babel

    from web.forms import Refused
    from web.api import ApiError

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        assert Refused(ApiError(400, "invalid", "the input is not valid", {"title": [api]})).of("title") == person


def test_a_pathways_steps_are_read_a_line_each_in_groups():
    from web.pathways import Unreadable, read_groups

    groups = read_groups("# Basics (all)\nartifact https://x.test/artifacts/a1\nworkshop w1\n\n"
                         "# Practice (at least 2)\nanswer ops\nanswer paging\nartifact a2/")
    assert groups == [
        {"title": "Basics", "rule": "all", "steps": [{"kind": "artifact", "artifact_id": "a1"},
                                                     {"kind": "workshop", "workshop_id": "w1"}]},
        {"title": "Practice", "rule": {"at_least": 2}, "steps": [
            {"kind": "answer", "tag": "ops"}, {"kind": "answer", "tag": "paging"},
            {"kind": "artifact", "artifact_id": "a2"}]}]
    with pytest.raises(Unreadable, match="Line 2"):
        read_groups("# G\nwatch a video")
