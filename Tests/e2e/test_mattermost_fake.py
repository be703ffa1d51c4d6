"""The fake Mattermost server checked by an independent client: `mattermostautodriver` (generated from
Mattermost's OpenAPI specification, not written for this fake) drives it as a person's client would.
These tests need no skav binary."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

mad = pytest.importorskip("mattermostautodriver")
from mattermostautodriver import TypedDriver  # noqa: E402
from mattermostautodriver.exceptions import (  # noqa: E402
    FeatureDisabled,
    InvalidOrMissingParameters,
    NoAccessTokenProvided,
    NotEnoughPermissions,
    TooManyRequests,
    UnknownMattermostError,
)

from mattermost_fake import MattermostFake  # noqa: E402


def driver(fake: MattermostFake, **options) -> TypedDriver:
    d = TypedDriver({"scheme": "http", "url": "127.0.0.1", "port": fake.port, "max_retries": 0, **options})
    d.login()
    return d


@pytest.fixture
def fake():
    f = MattermostFake.start()
    f.create_user("admin", "admin-password", admin=True)
    try:
        yield f
    finally:
        f.stop()


def setup_people(fake):
    admin = driver(fake, login_id="admin", password="admin-password")
    team = admin.teams.create_team(name="kommun", display_name="Kommun", type="O")
    anna_u = admin.users.create_user(email="anna@kommun.example", username="anna", password="anna-password")
    bo_u = admin.users.create_user(email="bo@kommun.example", username="bo", password="bo-password")
    for u in (anna_u, bo_u):
        admin.teams.add_team_member(team["id"], user_id=u["id"])
    anna = driver(fake, login_id="anna@kommun.example", password="anna-password")
    bo = driver(fake, login_id="bo", password="bo-password")
    return admin, team, anna, bo


def test_users_login_teams_and_a_direct_channel(fake):
    admin, team, anna, bo = setup_people(fake)
    me = anna.users.get_user("me")
    assert me["username"] == "anna" and me["email"] == "anna@kommun.example"
    assert anna.client.token and anna.client.userid == me["id"]
    assert [t["name"] for t in anna.teams.get_teams_for_user("me")] == ["kommun"]

    dm = anna.channels.create_direct_channel([me["id"], bo.client.userid])
    again = bo.channels.create_direct_channel([bo.client.userid, me["id"]])
    assert dm["id"] == again["id"] and dm["type"] == "D" and dm["team_id"] == ""
    assert dm["name"] == "__".join(sorted([me["id"], bo.client.userid]))
    listed = anna.channels.get_channels_for_team_for_user("me", team["id"])
    assert dm["id"] in [c["id"] for c in listed]
    assert dm["id"] in [c["id"] for c in bo.channels.get_channels_for_user(bo.client.userid)]
    assert bo.users.get_user(me["id"])["email"] == "anna@kommun.example"

    config = anna.client.get("/api/v4/config/client", params={"format": "old"})
    assert int(config["MaxPostSize"]) >= 4000
    with pytest.raises(FeatureDisabled):  # 501: the new format is not implemented by the server either
        anna.system.get_client_config()

    bad = TypedDriver({"scheme": "http", "url": "127.0.0.1", "port": fake.port, "token": "nope", "max_retries": 0})
    with pytest.raises(NoAccessTokenProvided) as err:
        bad.login()
    assert err.value.error_id == "api.context.session_expired.app_error" and err.value.request_id


def test_bot_token_and_restricted_direct_messages(fake):
    admin, team, anna, _bo = setup_people(fake)
    bot = admin.bots.create_bot(username="skav", display_name="Skav")
    token = admin.users.create_user_access_token(bot["user_id"], description="e2e")["token"]
    skav = driver(fake, token=token)
    assert skav.users.get_user("me")["is_bot"] is True
    outsider = admin.users.create_user(email="x@elsewhere.example", username="outsider", password="outsider-pw")
    fake.configure(restrict_direct_message="team")
    with pytest.raises(NotEnoughPermissions):
        skav.channels.create_direct_channel([bot["user_id"], outsider["id"]])
    admin.teams.add_team_member(team["id"], user_id=bot["user_id"])
    dm = skav.channels.create_direct_channel([bot["user_id"], anna.client.userid])
    post = skav.posts.create_post(channel_id=dm["id"], message="Hej!")
    assert post["props"].get("from_bot") == "true"


def test_post_edit_delete_react_reply_and_the_change_feed(fake):
    _admin, _team, anna, bo = setup_people(fake)
    dm = anna.channels.create_direct_channel([anna.client.userid, bo.client.userid])
    t0 = fake.clock.now()
    time.sleep(0.005)
    first = anna.posts.create_post(channel_id=dm["id"], message="första")
    second = anna.posts.create_post(channel_id=dm["id"], message="andra")
    page = bo.posts.get_posts_for_channel(dm["id"])
    assert page["order"] == [second["id"], first["id"]]
    last_post_at = anna.channels.get_channel(dm["id"])["last_post_at"]
    assert last_post_at >= second["create_at"]

    edited = anna.posts.patch_post(first["id"], message="första (ändrad)")
    assert edited["edit_at"] > 0 and edited["update_at"] > first["update_at"]
    bo.reactions.save_reaction({"user_id": bo.client.userid, "post_id": second["id"], "emoji_name": "raised_hands"})
    reply = bo.posts.create_post(channel_id=dm["id"], message="svar", root_id=second["id"])
    with pytest.raises(InvalidOrMissingParameters):  # a reply's root must be a root
        bo.posts.create_post(channel_id=dm["id"], message="x", root_id=reply["id"])
    gone = anna.posts.create_post(channel_id=dm["id"], message="strax borta")
    anna.posts.delete_post(gone["id"])
    assert anna.channels.get_channel(dm["id"])["last_post_at"] == gone["create_at"], "a delete does not move last_post_at"

    feed = bo.posts.get_posts_for_channel(dm["id"], since=t0)
    posts = feed["posts"]
    assert set(feed["order"]) == set(posts)
    history = [p for p in posts.values() if p["original_id"] == first["id"]]
    assert len(history) == 1 and history[0]["message"] == "första" and history[0]["delete_at"] > 0
    assert posts[first["id"]]["message"] == "första (ändrad)"
    assert posts[second["id"]]["update_at"] >= reply["create_at"], "the reply (and the reaction) bump the root"
    assert posts[second["id"]]["has_reactions"] is True
    assert posts[reply["id"]]["root_id"] == second["id"]
    assert posts[gone["id"]]["delete_at"] > 0 and posts[gone["id"]]["message"] == ""
    # after the last change: nothing
    newest = max(p["update_at"] for p in posts.values())
    assert bo.posts.get_posts_for_channel(dm["id"], since=newest)["order"] == []
    # a plain page leaves deleted posts and history rows out
    plain = bo.posts.get_posts_for_channel(dm["id"], per_page=200)
    assert gone["id"] not in plain["posts"] and not any(p["original_id"] for p in plain["posts"].values())


def test_the_change_feed_caps_at_1000_and_paging_finds_the_rest(fake):
    _admin, _team, anna, bo = setup_people(fake)
    dm = anna.channels.create_direct_channel([anna.client.userid, bo.client.userid])
    t0 = fake.clock.now()
    ids = fake.inject(dm["id"], anna.client.userid, [f"skav {i}" for i in range(1200)])
    feed = bo.posts.get_posts_for_channel(dm["id"], since=t0 - 1)
    assert len(feed["order"]) == 1000
    assert feed["order"] != [i for i in reversed(ids) if i in feed["posts"]], "the feed's order is not guaranteed"
    seen = set()
    page = 0
    while True:
        got = bo.posts.get_posts_for_channel(dm["id"], page=page, per_page=200)
        seen |= set(got["order"])
        if not got["order"]:
            break
        page += 1
    assert seen == set(ids)
    before = bo.posts.get_posts_for_channel(dm["id"], before=ids[200], per_page=200)
    assert set(before["order"]) == set(ids[:200])
    after = bo.posts.get_posts_for_channel(dm["id"], after=ids[999], per_page=200)
    assert set(after["order"]) == set(ids[1000:])


def test_pending_post_id_deduplicates_and_files_attach(fake):
    _admin, _team, anna, bo = setup_people(fake)
    dm = anna.channels.create_direct_channel([anna.client.userid, bo.client.userid])
    body = {"channel_id": dm["id"], "message": "en gång", "pending_post_id": "p1"}
    a = anna.client.post("/api/v4/posts", options=body)
    b = anna.client.post("/api/v4/posts", options=body)
    assert a["id"] == b["id"]

    fake.configure(save_delay_ms=400)
    results = []
    slow = threading.Thread(target=lambda: results.append(
        anna.client.post("/api/v4/posts", options={**body, "pending_post_id": "p2"})))
    slow.start()
    time.sleep(0.1)
    with pytest.raises(UnknownMattermostError) as err:
        anna.client.post("/api/v4/posts", options={**body, "pending_post_id": "p2"})
    assert err.value.status_code == 500 and err.value.error_id == "api.post.deduplicate_create_post.pending"
    slow.join()
    fake.configure(save_delay_ms=0)
    assert anna.client.post("/api/v4/posts", options={**body, "pending_post_id": "p2"})["id"] == results[0]["id"]

    up = anna.files.upload_file(files=("mina-data.json", b'{"ideas": []}', "application/json"), channel_id=dm["id"])
    fid = up["file_infos"][0]["id"]
    post = anna.posts.create_post(channel_id=dm["id"], message="filen", file_ids=[fid])
    assert post["file_ids"] == [fid] and post["metadata"]["files"][0]["name"] == "mina-data.json"
    got = bo.files.get_file(fid)
    assert got == {"ideas": []}  # the client decodes an application/json download itself
    too_long = "x" * 16384
    with pytest.raises(InvalidOrMissingParameters):
        anna.posts.create_post(channel_id=dm["id"], message=too_long)


def test_rate_limit_is_off_by_default_and_a_429_is_plain_text(fake):
    _admin, _team, anna, bo = setup_people(fake)
    dm = anna.channels.create_direct_channel([anna.client.userid, bo.client.userid])
    for i in range(30):
        anna.posts.create_post(channel_id=dm["id"], message=f"{i}")
    fake.ratelimit(per_second=1, burst=2, user_id=anna.client.userid)
    anna.posts.create_post(channel_id=dm["id"], message="a")
    anna.posts.create_post(channel_id=dm["id"], message="b")
    with pytest.raises(TooManyRequests):
        anna.posts.create_post(channel_id=dm["id"], message="c")
    raw = httpx.get(f"{fake.url}/api/v4/users/me", headers={"Authorization": f"Bearer {anna.client.token}"})
    assert raw.status_code == 429 and raw.text.strip() == "limit exceeded"
    assert raw.headers["Retry-After"] and raw.headers["X-Ratelimit-Reset"] and raw.headers["X-Ratelimit-Limit"]
    bo.posts.create_post(channel_id=dm["id"], message="bo is not limited")
    fake.ratelimit(on=False)
    anna.posts.create_post(channel_id=dm["id"], message="d")


def test_dropped_answers_and_late_visibility(fake):
    _admin, _team, anna, bo = setup_people(fake)
    dm = anna.channels.create_direct_channel([anna.client.userid, bo.client.userid])
    t0 = fake.clock.now()
    fake.drop(1, method="POST", path="/api/v4/posts")
    with pytest.raises(httpx.TransportError):
        anna.posts.create_post(channel_id=dm["id"], message="committed, answer lost")
    feed = bo.posts.get_posts_for_channel(dm["id"], since=t0)
    assert [p["message"] for p in feed["posts"].values()] == ["committed, answer lost"]

    t1 = max(p["update_at"] for p in feed["posts"].values())
    fake.delay_visibility(1, delay_ms=600, channel_id=dm["id"])
    late = anna.posts.create_post(channel_id=dm["id"], message="stamped first, seen later")
    time.sleep(0.005)
    early = anna.posts.create_post(channel_id=dm["id"], message="stamped later, seen first")
    assert late["create_at"] <= early["create_at"]
    seen = bo.posts.get_posts_for_channel(dm["id"], since=t1)["posts"]
    assert list(seen) == [early["id"]]
    watermark = seen[early["id"]]["update_at"]
    time.sleep(0.7)
    assert bo.posts.get_posts_for_channel(dm["id"], since=watermark)["order"] == [], (
        "a cursor at the newest update_at misses the late post: bots must overlap their cursor")
    assert late["id"] in bo.posts.get_posts_for_channel(dm["id"], since=t1)["posts"]


def test_team_membership_lookup(fake):
    admin, team, anna, _bo = setup_people(fake)
    member = anna.teams.get_team_member(team["id"], anna.client.userid)
    assert member["user_id"] == anna.client.userid and member["delete_at"] == 0
    outsider = admin.users.create_user(email="o@kommun.example", username="utanfor", password="utanfor-pw")
    with pytest.raises(mad.exceptions.ResourceNotFound):
        anna.teams.get_team_member(team["id"], outsider["id"])
