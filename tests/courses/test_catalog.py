"""The catalog: only published courses, filtered by category, topic, title series, provider
and name, a page at a time."""

import pytest

from lms.courses import services
from lms.courses.models import Category, Course, CourseStatus, Video, VideoState
from lms.extensions import db
from lms.orgs.services import title_series_by_name


@pytest.fixture
def shelf(orgs):
    """Courses in several states and kinds; each published one has a 45-minute video."""
    series = title_series_by_name()
    topic = services.topics(services.topic_year(), Category.public_elective)[0]

    def course(title, category=Category.professional, status=CourseStatus.published,
               provider=orgs.provider, topic=None, aimed_at=()):
        made = Course(title=title, category=category, status=status, provider=provider,
                      topic=topic, title_series=[series[name] for name in aimed_at])
        made.videos.append(Video(title="v", original_filename="v.mp4", size=1, received=1,
                                 state=VideoState.ready, duration_seconds=2700,
                                 rendition="renditions/x/r1"))
        db.session.add(made)
        return made

    made = {
        "nursing": course("护理技能", aimed_at=["卫生"]),
        "bridges": course("桥梁设计", aimed_at=["工程"]),
        "everyone": course("科研方法"),  # aimed at no series: for everyone
        "security": course("网络安全", Category.public_elective, topic=topic),
        "draft": course("草稿课程", status=CourseStatus.draft),
        "archived": course("归档课程", status=CourseStatus.archived),
        "elsewhere": course("外机构课程", provider=orgs.other_provider),
    }
    db.session.flush()
    return made, topic, series


def titles(**query) -> set[str]:
    return {c.title for c in services.catalog(services.CatalogQuery(**query)).items}


def test_filters(shelf, orgs):
    made, topic, series = shelf
    assert titles() == {"护理技能", "桥梁设计", "科研方法", "网络安全", "外机构课程"}
    assert titles(category=Category.public_elective) == {"网络安全"}
    assert titles(topic_id=topic.id) == {"网络安全"}
    assert titles(title_series_id=series["卫生"].id) == {"护理技能", "科研方法", "网络安全",
                                                         "外机构课程"}
    assert titles(provider_id=orgs.other_provider.id) == {"外机构课程"}
    assert titles(text="安全") == {"网络安全"}
    assert titles(text="%") == set()  # a wildcard is just a character
    assert made["nursing"].credit_hours == "1.0"


def test_paging(shelf, monkeypatch):
    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    pages = [services.catalog(services.CatalogQuery(page=n)) for n in (1, 2, 3, 99)]
    assert [len(p.items) for p in pages] == [2, 2, 1, 1]
    assert pages[0].total == 5 and pages[0].pages == 3 and pages[3].page == 3
    seen = [c.title for p in pages[:3] for c in p.items]
    assert len(set(seen)) == 5


def test_catalog_page_shows_credit_and_filters(client, people, login_as, shelf):
    login_as(people.learner)
    html = client.get("/courses/?category=professional&q=护理").get_data(as_text=True)
    assert "护理技能" in html and "1.0 学时" in html and "桥梁设计" not in html
    assert client.get("/courses/?series=abc&topic=-1&page=x").status_code == 200
