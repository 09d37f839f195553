"""Verified watching through the real API, as honest learners and as scripted cheaters would
drive it (rules §4). Every figure is exact: the server's clock is the test's.

Rules in force: rate 1.0×, 2.5 s of grace, heartbeats every 15 s (a silence longer than 30 s
earns one gap's worth), complete at 95 %.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.auth import tokens
from lms.auth.models import AccountState, Role
from lms.courses.models import Category
from lms.extensions import db
from lms.records.models import LearningRecord, Source
from lms.watching import heartbeats
from lms.watching.models import Heartbeat, Playback, VideoProgress
from tests.factories import make_user
from tests.watching.conftest import Player, published_course


def covered(user, video) -> float:
    progress = db.session.get(VideoProgress, (user.id, video.id), populate_existing=True)
    return progress.covered if progress else 0.0


def records(user) -> list[LearningRecord]:
    return list(db.session.scalars(
        sa.select(LearningRecord).where(LearningRecord.user_id == user.id)
    ))


@pytest.fixture
def learner(people, login_as):
    login_as(people.learner)
    return people.learner


# --- honest learners ------------------------------------------------------------------------


def test_an_honest_viewer_earns_the_video_and_then_the_course(client, clock, lecture, learner):
    first, second = lecture.ready_videos
    player = Player(client, clock, first)
    player.press_play()
    answer = player.play(600)
    assert covered(learner, first) == 600
    assert answer["complete"] and not answer["course_credited"]  # one video still to go
    assert records(learner) == []

    player = Player(client, clock, second)
    player.press_play()
    player.play(270)
    assert records(learner) == []
    assert player.beat(285)["course_credited"]  # 95 % of the last video: the course is done
    assert not player.beat(300)["course_credited"]  # and only once
    assert covered(learner, second) == 300
    [record] = records(learner)
    assert (record.course_id, record.seconds, record.category.value, record.source) == (
        lecture.id, 900, "professional", Source.online_course)


def test_pausing_rewinding_losing_the_network_and_resuming_loses_nothing(
    client, clock, lecture, learner
):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    player.play(150)
    for _ in range(4):  # paused for a minute: heartbeats go on, the position does not move
        player.beat(150, playing=False)
    player.beat(150, after=1)  # play again
    player.beat(100, after=1)  # rewound to 100 s
    player.play(200)  # watched 100–150 again, then 50 s of new video
    # The network drops: three heartbeats fail; the player notices and pauses at 215 s.
    player.beat(215, after=45, playing=False)
    player.beat(215, after=5)  # back online, playing
    player.play(600)
    assert covered(learner, video) == 600


def test_the_learners_year_shows_the_hours_earned_by_watching(client, clock, people, orgs,
                                                               learner):
    course = published_course(people, orgs, 2700, title="护理安全管理")
    player = Player(client, clock, course.ready_videos[0])
    player.press_play()
    player.play(2700)
    page = client.get("/record/").get_data(as_text=True)
    assert "护理安全管理" in page
    assert "1.0 / 60" in page  # professional: one 学时 of sixty
    assert "1.0 / 90" in page


def test_a_public_course_is_not_credited_by_watching_alone(client, clock, people, orgs, learner):
    course = published_course(people, orgs, 600, title="新时代工匠精神",
                              category=Category.public_elective)
    player = Player(client, clock, course.ready_videos[0])
    player.press_play()
    answer = player.play(600)
    assert answer["complete"] and not answer["course_credited"]  # its exam credits it
    assert records(learner) == []


# --- cheaters -------------------------------------------------------------------------------


def test_jumping_to_the_end_earns_only_what_was_watched(client, clock, lecture, learner):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    player.play(30)
    jump = player.beat(600)
    assert jump["verdict"] == "too_fast" and jump["credited"] == 0
    player.beat(600)
    assert covered(learner, video) == 30


@pytest.mark.parametrize("speed", [2, 16])
def test_a_sped_up_player_earns_nothing(client, clock, lecture, learner, speed):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    player.play(600, speed=speed)
    assert covered(learner, video) == 0


def test_replayed_heartbeats_are_answered_and_earn_nothing(client, clock, lecture, learner):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    player.play(150)  # sequence numbers 1–11
    for seq in range(2, 12):
        again = player.beat(15 * (seq - 1), seq=seq)
        assert again["verdict"] == "replay" and again["credited"] == 0
    # Old sequence numbers with new positions are replays too.
    assert player.beat(165, seq=5)["verdict"] == "replay"
    assert covered(learner, video) == 150


def test_positions_from_the_future_earn_nothing(client, clock, lecture, learner):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    player.play(60)
    assert player.beat(10_000)["verdict"] == "too_fast"  # past the end of the video
    assert player.beat(86_400)["credited"] == 0  # held at the end: nothing moves
    too_far = player.send(seq=99, position=90_000, playing=True, visible=True)
    assert too_far.status_code == 400  # not a position in any video
    assert covered(learner, video) == 60


def test_a_second_tab_ends_the_first(client, new_client, clock, lecture, learner, login_as):
    first, second = lecture.ready_videos
    tab_a = Player(client, clock, first)
    tab_a.press_play()
    tab_a.play(60)
    phone = login_as(learner, browser=new_client())
    tab_b = Player(phone, clock, second)  # another video, on another device
    tab_b.press_play()
    for _ in range(4):
        told = tab_a.beat(tab_a.position + 15)
        assert told == told | {"active": False, "verdict": "ended", "credited": 0}
        tab_b.beat(tab_b.position + 15)
    assert covered(learner, first) == 60
    assert covered(learner, second) == 60
    active = db.session.scalars(
        sa.select(Playback).where(Playback.user_id == learner.id, Playback.ended_at.is_(None))
    ).all()
    assert len(active) == 1


def test_restarting_the_playback_at_every_heartbeat_earns_only_the_clock(
    client, clock, lecture, learner
):
    video = lecture.ready_videos[0]
    for _ in range(40):  # open the video afresh, press play, "jump" 2.5 s, 20 ms in all
        player = Player(client, clock, video)
        player.beat(player.position, after=0.01)
        player.beat(player.position + 2.5, after=0.01)
    assert covered(learner, video) == pytest.approx(40 * 0.02)


def test_a_server_whose_clock_is_behind_gives_no_extra_time(client, clock, lecture, learner):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    player.play(30)
    # One second later, judged by a server whose clock is 10 s behind; five seconds after
    # that, by the first server again: 15 s of media in 6 s.
    player.beat(30, after=1 - 10, playing=True)
    assert player.beat(45, after=10 + 5)["verdict"] == "too_fast"
    assert covered(learner, video) == 30


def test_a_sequence_number_beyond_any_player_is_refused(client, clock, lecture, learner):
    player = Player(client, clock, lecture.ready_videos[0])
    assert player.send(seq=2**31, position=0, playing=True, visible=True).status_code == 400
    assert player.beat(0, after=1)["verdict"] == "idle"


def test_a_heartbeat_that_cannot_be_judged_does_not_fail_its_batch(
    app, client, clock, people, orgs, lecture, learner, monkeypatch
):
    video = lecture.ready_videos[0]
    others = [make_user(Role.learner, unit=orgs.unit) for _ in range(2)]
    players = []
    for person in [learner, *others]:
        token, _ = tokens.issue(person)
        player = Player(app.test_client(), clock, video, bearer=token)
        players.append((heartbeats.Caller(token_digest=tokens.digest(token)), player))
    db.session.commit()
    judge = heartbeats.judge

    def faulty(state, report, now):
        if state.user_id == others[0].id:
            raise RuntimeError("a fault in one heartbeat")
        return judge(state, report, now)

    monkeypatch.setattr(heartbeats, "judge", faulty)
    batch = [heartbeats.Pending(caller, tokens.digest(player.playback),
                                heartbeats.Report(seq=1, position=0, playing=True, visible=True),
                                received_at=clock())
             for caller, player in players]
    heartbeats.process(batch)
    assert [type(p.error).__name__ if p.error else p.answer.verdict.value for p in batch] == [
        "idle", "RuntimeError", "idle"]


def test_a_disabled_learner_cannot_go_on_watching(client, clock, lecture, learner):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    player.play(30)
    learner.state = AccountState.disabled
    db.session.commit()
    assert player.send(seq=99, position=45, playing=True, visible=True).status_code == 401
    assert covered(learner, video) == 30


def test_watching_keeps_the_login_alive_but_a_paused_page_left_open_does_not(
    app, client, clock, lecture, learner, monkeypatch
):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    player = Player(client, clock, lecture.ready_videos[0])
    player.press_play()
    player.play(450)  # 7½ minutes of watching
    for _ in range(4 * 60 // 15):
        player.beat(450, playing=False)  # then paused, the page open, for 4 minutes
    clock.advance(75)  # 5¼ minutes without watching (the login is noted once a minute)
    ended = player.send(seq=999, position=450, playing=False, visible=True)
    assert ended.status_code == 401 and ended.get_json()["error"] == "unauthenticated"


def test_a_hidden_tab_earns_nothing(client, clock, lecture, learner):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    player.play(30)
    player.beat(45, visible=False)  # hidden at 45 s: the 15 s before count
    player.play(300, visible=False)  # a script keeps "playing" in the background
    assert covered(learner, video) == 45


@pytest.fixture
def asked_after_a_minute(app, clock, monkeypatch):
    """Presence checks after every minute of watching."""
    monkeypatch.setitem(app.config, "PRESENCE_MIN_SECONDS", 60)
    monkeypatch.setitem(app.config, "PRESENCE_MAX_SECONDS", 60)


def solve(question: str) -> int:
    a, b = (int(n) for n in question.split(" = ")[0].split(" + "))
    return a + b


def test_an_unanswered_presence_check_stops_credit(client, clock, lecture, learner,
                                                   asked_after_a_minute):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    asked = player.play(60)
    question = asked["presence_question"]
    assert question and asked["covered"] == 60

    # A cheater plays on without answering: nothing counts, and a wrong answer changes nothing.
    ignored = player.play(120)
    assert ignored["verdict"] == "presence" and ignored["credited"] == 0
    assert player.beat(135, answer=str(solve(question) + 1))["presence_question"] == question
    assert covered(learner, video) == 60

    # Reloading the page does not escape it: the new playback asks the same question.
    reloaded = Player(client, clock, video)
    assert reloaded.started["resume_at"] == 60
    reloaded.press_play()
    still = reloaded.play(90)
    assert still["presence_question"] == question and covered(learner, video) == 60


def test_answering_the_presence_check_lets_watching_go_on(client, clock, lecture, learner,
                                                          asked_after_a_minute):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    question = player.play(60)["presence_question"]
    player.beat(60, after=5, playing=False)  # paused while the question is shown
    answered = player.beat(60, after=20, answer=str(solve(question)))
    assert answered["presence_question"] is None
    player.play(105)
    assert covered(learner, video) == 105
    # The next check comes a minute of watching after the answer, reloads or not: 45 s were
    # watched since, so a new playback asks after 15 s more.
    Player(client, clock, video).press_play()
    assert db.session.scalars(
        sa.select(Playback.presence_due).where(Playback.ended_at.is_(None))
    ).one() == 15


def test_forged_and_foreign_playbacks_are_refused(client, new_client, clock, lecture, learner,
                                                  people, login_as):
    video = lecture.ready_videos[0]
    mine = Player(client, clock, video)
    mine.press_play()
    mine.play(30)

    forged = client.post("/api/v1/heartbeats", headers=mine.headers, json={
        "playback": tokens.new_token(), "seq": 50, "position": 45, "playing": True,
        "visible": True})
    assert forged.status_code == 404

    # Another learner (signed in, with their own CSRF token) sends heartbeats for mine.
    stranger = make_user(Role.learner, unit=learner.unit, name="钱多")
    theirs = login_as(stranger, browser=new_client())
    stolen = theirs.post("/api/v1/heartbeats",
                         headers={"X-CSRFToken": theirs.csrf_token("/home")},
                         json={"playback": mine.playback, "seq": 50, "position": 45,
                               "playing": True, "visible": True})
    assert stolen.status_code == 404
    # Their bearer token does not open my playback either.
    token, _ = tokens.issue(stranger)
    by_token = theirs.post("/api/v1/heartbeats", headers={"Authorization": f"Bearer {token}"},
                           json={"playback": mine.playback, "seq": 51, "position": 45,
                                 "playing": True, "visible": True})
    assert by_token.status_code == 404
    # Without the page's CSRF token my own browser is refused too.
    no_csrf = client.post("/api/v1/heartbeats", json={
        "playback": mine.playback, "seq": 52, "position": 45, "playing": True,
        "visible": True})
    assert no_csrf.status_code == 400
    # After logging out, the playback is dead.
    client.submit("/logout")
    assert mine.send(seq=53, position=45, playing=True, visible=True).status_code == 401
    assert covered(learner, video) == 30


def test_an_hour_of_silence_earns_one_gap_at_most(client, clock, people, orgs, learner):
    video = published_course(people, orgs, 2700).ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    player.play(150)
    slept = player.beat(2700, after=3600)  # "played on" while asleep
    assert slept["verdict"] == "silence"
    # One 30 s gap, and the half second between opening the video and pressing play.
    assert covered(learner, video) == 150 + 30 + 0.5
    player.play(2700)  # past what was verified: nothing more until it goes back
    assert covered(learner, video) == 180.5


def test_a_laptop_asleep_for_an_hour_with_the_video_paused_loses_nothing(
    client, clock, lecture, learner
):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    player.play(150)
    player.beat(160, after=3600)  # 10 s played, then the lid was closed
    player.beat(160, after=1, playing=True)
    player.play(600)
    assert covered(learner, video) == 600


def test_a_bearer_token_app_watches_the_same_way(client, clock, lecture, learner):
    token, _ = tokens.issue(learner)
    video = lecture.ready_videos[0]
    player = Player(client.application.test_client(), clock, video, bearer=token)
    player.press_play()
    player.play(90)
    assert covered(learner, video) == 90


def test_every_heartbeat_is_logged_with_what_it_earned(client, clock, lecture, learner):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    player.play(30)
    player.beat(600)
    log = db.session.scalars(sa.select(Heartbeat).order_by(Heartbeat.id)).all()
    assert [(h.seq, h.verdict.value, h.credited) for h in log] == [
        (1, "idle", 0), (2, "watched", 15), (3, "watched", 15), (4, "too_fast", 0)]


def test_resuming_starts_where_the_learner_left_off_but_not_past_what_was_verified(
    client, clock, lecture, learner
):
    video = lecture.ready_videos[0]
    player = Player(client, clock, video)
    player.press_play()
    player.play(90)
    player.beat(400, after=1)  # sought ahead, then closed the tab
    assert Player(client, clock, video).started["resume_at"] == 90


def test_the_heartbeat_log_is_pruned_but_the_coverage_is_kept(app, client, new_client, clock,
                                                              lecture, learner, login_as):
    video = lecture.ready_videos[0]
    old = Player(client, clock, video)
    old.press_play()
    old.play(60)
    Player(client, clock, video)  # a new tab: the old playback ends
    clock.advance(200 * 86400)
    result = app.test_cli_runner().invoke(args=["watch", "prune", "--days", "180"])
    assert "removed 5 heartbeats" in result.output
    left = db.session.scalars(sa.select(Playback).where(Playback.user_id == learner.id)).all()
    assert [p.ended_at for p in left] == [None]  # only the playback still running
    assert covered(learner, video) == 60


@pytest.mark.parametrize(("field", "value"), [
    ("seq", True), ("seq", "2"), ("seq", 2.0), ("position", "5.0"), ("position", True),
    ("position", None), ("playing", 1), ("playing", "true"), ("visible", 0),
    ("playback", 12345), ("presence_answer", 7),
])
def test_each_value_of_a_heartbeat_is_of_its_json_type(client, clock, lecture, learner, field,
                                                        value):
    player = Player(client, clock, lecture.ready_videos[0])
    body = {"seq": 2, "position": 5, "playing": True, "visible": True, field: value}
    answer = player.send(**body)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_field"
    assert answer.get_json()["field"] == field
    # An integer is a number of seconds, though.
    assert player.send(seq=2, position=5, playing=True, visible=True).status_code == 200


def test_a_bad_bearer_token_is_a_401_and_a_good_one_keeps_its_answers(
    client, clock, lecture, learner, database
):
    token, row = tokens.issue(learner)
    db.session.commit()
    video = lecture.ready_videos[0]
    player = Player(client.application.test_client(), clock, video, bearer=token)
    player.press_play()
    beat = {"playback": player.playback, "position": 1, "playing": True, "visible": True}
    for header in ("Bearer nonsense", "Bearer ", f"Bearer {token}x"):
        answer = player.client.post("/api/v1/heartbeats", headers={"Authorization": header},
                                    json={**beat, "seq": 5})
        assert answer.status_code == 401, header
        assert answer.get_json()["error"] == "unauthenticated"
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    # A valid token: an unknown playback is still a 404, an ended one still answered.
    unknown = player.send(seq=6, position=1, playing=True, visible=True,
                          **{"playback": tokens.new_token()})
    assert unknown.status_code == 404 and unknown.get_json()["error"] == "playback_not_found"
    Player(player.client, clock, video, bearer=token)  # a new playback ends this one
    assert player.beat(2, after=1)["verdict"] == "ended"
    # Expired, then revoked: the same token is refused as a credential, not as a playback.
    row.expires_at = clock() - timedelta(seconds=1)
    db.session.commit()
    assert player.send(seq=9, position=2, playing=True, visible=True).status_code == 401
    row.expires_at, row.revoked_at = clock() + timedelta(days=1), clock()
    db.session.commit()
    assert player.send(seq=10, position=2, playing=True, visible=True).status_code == 401
