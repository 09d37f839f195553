"""Nobody can lock an owner out by failing on purpose: failures lock the (account, address)
pair; the account alone only waits, briefly, and only for clients that have been failing; a
device cookie from an earlier login gets the owner past what others caused."""

import sqlalchemy as sa

from lms.auth import devices, throttle
from lms.auth.models import LoginThrottle
from lms.extensions import db
from tests.factories import PASSWORD

A = {"REMOTE_ADDR": "10.1.1.1"}
B = {"REMOTE_ADDR": "10.2.2.2"}


def login(browser, number, password=PASSWORD, address=A):
    return browser.submit(
        "/login", {"id_number": number, "password": password}, environ_base=address
    )


def test_two_hundred_failures_from_one_address_keep_only_that_address_out(new_client, people):
    number = people.learner.id_number
    owners_pc = new_client()
    assert login(owners_pc, number).status_code == 302  # an earlier login at A: device cookie
    assert owners_pc.get_cookie(devices.COOKIE) is not None
    owners_pc.submit("/logout", environ_base=A)

    attacker = new_client()
    token = attacker.csrf_token("/login")
    for _ in range(200):
        # The attacker patiently waits out every wait and lock, so each guess is checked.
        db.session.execute(sa.update(LoginThrottle).values(blocked_until=None))
        page = attacker.post(
            "/login",
            data={"csrf_token": token, "id_number": number, "password": "Wrong4guess"},
            environ_base=A,
        ).get_data(as_text=True)
        assert "身份证号或密码不正确" in page
    account = db.session.get(LoginThrottle, throttle.account_key(number))
    assert account.failures == 200 and account.blocked_until is not None

    # Another browser at A, without the device cookie: refused while A is locked for it.
    stranger = login(new_client(), number)
    assert stranger.status_code == 200 and "再试" in stranger.get_data(as_text=True)
    forged = new_client()  # nor with a tampered copy of the owner's cookie
    forged.set_cookie(devices.COOKIE, owners_pc.get_cookie(devices.COOKIE).value[:-3] + "xyz")
    assert login(forged, number).status_code == 200
    # The owner at another address gets in at the first try ...
    assert login(new_client(), number, address=B).status_code == 302
    # ... and so does the owner's own browser at A.
    assert login(owners_pc, number).status_code == 302


def test_the_accounts_waits_stop_clients_that_have_been_failing(new_client, people):
    number = people.learner.id_number
    attacker = new_client()
    for _ in range(3):
        login(attacker, number, "Wrong4guess")
    # Another address that has just failed on some account waits for this one, too.
    login(new_client(), "110105194912310021", "Wrong4guess", address=B)
    assert "秒后再试" in login(new_client(), number, address=B).get_data(as_text=True)
    # An address with no recent failures does not.
    fresh = {"REMOTE_ADDR": "10.3.3.3"}
    assert login(new_client(), number, address=fresh).status_code == 302


def test_a_device_cookie_counts_its_own_failures_and_names_one_account(new_client, people):
    number = people.learner.id_number
    pc = new_client()
    assert login(pc, number).status_code == 302
    pc.submit("/logout", environ_base=A)
    for _ in range(5):
        db.session.execute(sa.update(LoginThrottle).values(blocked_until=None))
        login(pc, number, "Wrong4guess")
    assert "已被锁定" in login(pc, number).get_data(as_text=True)
    assert login(new_client(), number, address=B).status_code == 302

    # The cookie says nothing for another account, nor when forged.
    other = people.unit_reviewer.id_number
    for _ in range(5):
        db.session.execute(sa.update(LoginThrottle).values(blocked_until=None))
        login(new_client(), other, "Wrong4guess")
    assert "已被锁定" in login(pc, other).get_data(as_text=True)
