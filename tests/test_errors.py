"""Errors get a page a person understands, in Chinese, never a stack trace."""

from tests.conftest import make_app


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "页面不存在" in html and "返回首页" in html


def test_wrong_method_is_explained(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "请通过页面上的按钮操作" in response.get_data(as_text=True)


def test_crash_is_a_friendly_500_without_a_traceback(database_url, caplog):
    app = make_app(database_url, TESTING=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "系统出错" in html
    assert "secret internals" not in html and "Traceback" not in html
    assert "secret internals" in caplog.text  # but it is logged for us


def test_health_check_answers(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_pages_allow_only_this_sites_scripts(client):
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in headers  # plain HTTP in development


def test_a_site_served_over_https_tells_browsers_to_keep_to_it(database_url):
    app = make_app(database_url, SESSION_COOKIE_SECURE=True)
    headers = app.test_client().get("/login", base_url="https://lms.example").headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


BEYOND = [str(2**31), str(2**63), str(2**64), "9" * 5000]


def test_an_id_past_what_a_column_holds_is_a_404(client, people, login_as, course):
    """PostgreSQL's integer ends at 2**31 - 1, SQLite's at 2**63 - 1: no route asks the
    database for an id past them (or for 0)."""
    login_as(people.provider)
    assert client.get(f"/courses/{course.id}/edit").status_code == 200
    for number in ["0", *BEYOND]:
        for url in (f"/courses/{number}/edit", f"/courses/{course.id}/videos/{number}",
                    f"/exam/attempts/{number}", f"/staff/accounts/{number}/roles/{number}/revoke"):
            method = client.post if url.endswith("revoke") else client.get
            response = method(url)
            assert response.status_code == 404, (url[:80], response.status_code)
            assert "页面不存在" in response.get_data(as_text=True)


def test_a_signed_links_time_is_not_an_id(client):
    """Its expiry is a Unix time, past 2**31 in 2038: the route still matches (and the
    signature decides)."""
    assert client.get("/media/s/nosig/4102444800/1/a.m3u8").status_code == 403


def test_text_holding_a_nul_is_refused_on_pages_too(client, people, login_as):
    login_as(people.city_admin)
    for response in (client.get("/courses/?q=%00"), client.get("/staff/accounts?q=a%00"),
                     client.submit("/staff/accounts", {"q": "\x00"})):
        assert response.status_code == 400
        assert "空字符" in response.get_data(as_text=True)


def test_a_status_without_words_of_its_own_is_still_a_chinese_page(client):
    """416 (a byte range past the end of a file) is werkzeug's English page unless the app
    answers it."""
    response = client.get("/static/player.js", headers={"Range": "bytes=100000000-"})
    assert response.status_code == 416
    page = response.get_data(as_text=True)
    assert "请求无效" in page and "Requested Range" not in page
