"""Demo content for a newcomer to click through: organisations, one account per role, and
published courses with short real videos.

Idempotent: running it again adds only what is missing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from lms.auth.idcard import check_character
from lms.auth.models import AccountState, Role, RoleAssignment, User
from lms.auth.passwords import hash_password
from lms.auth.services import user_by_id_number
from lms.courses import media_tools, storage
from lms.courses.models import Category, Course, CourseStatus, Topic, Video, VideoState
from lms.courses.services import topic_year
from lms.courses.tasks import process_video
from lms.db import utcnow
from lms.extensions import db
from lms.orgs.models import Organisation, OrgKind, TitleSeries
from lms.staff.services import add_role

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "Weihai2026"

DISTRICTS = (
    "环翠区", "文登区", "荣成市", "乳山市",
    "威海火炬高技术产业开发区", "威海经济技术开发区", "威海临港经济技术开发区",
)
#: (name, district or None for city level)
DEPARTMENTS = (
    ("威海市卫生健康委员会", None),
    ("威海市教育局", None),
    ("文登区卫生健康局", "文登区"),
)
#: (name, district, department)
UNITS = (
    ("威海市立医院", "环翠区", "威海市卫生健康委员会"),
    ("威海市第一中学", "环翠区", "威海市教育局"),
    ("文登区人民医院", "文登区", "文登区卫生健康局"),
)
PROVIDERS = (("威海职业学院继续教育基地", "环翠区"),)

#: (role, scope organisation, 17 digits before the check character, name, unit, state)
ACCOUNTS = (
    (Role.learner, None, "37100219850612301", "张伟", "威海市立医院", AccountState.active),
    (Role.learner, None, "37100219920315402", "李娜", "威海市立医院", AccountState.pending),
    (Role.unit_reviewer, "威海市立医院", "37100219800101503", "王芳", "威海市立医院",
     AccountState.active),
    (Role.department_reviewer, "威海市卫生健康委员会", "37100219790202604", "刘洋", None,
     AccountState.active),
    (Role.district_reviewer, "环翠区", "37100219780303705", "陈静", None, AccountState.active),
    (Role.provider, "威海职业学院继续教育基地", "37100219880404806", "杨帆", None,
     AccountState.active),
    (Role.exam_admin, None, "37100219870505907", "赵磊", None, AccountState.active),
    (Role.city_admin, None, "37100219750606108", "孙丽", None, AccountState.active),
)


def _org(kind: OrgKind, name: str, **links: Organisation | None) -> Organisation:
    org = db.session.scalar(
        sa.select(Organisation).where(Organisation.kind == kind, Organisation.name == name)
    )
    if org is None:
        org = Organisation(kind=kind, name=name, **links)
        db.session.add(org)
        db.session.flush()
    return org


def seed_demo() -> list[tuple[str, str, str]]:
    """Add what is missing (the caller commits); return (role, ID number, name) of each account."""
    districts = {name: _org(OrgKind.district, name) for name in DISTRICTS}
    departments = {
        name: _org(OrgKind.department, name, district=districts.get(district or ""))
        for name, district in DEPARTMENTS
    }
    units = {
        name: _org(
            OrgKind.unit, name, district=districts[district], department=departments[department]
        )
        for name, district, department in UNITS
    }
    providers = {
        name: _org(OrgKind.provider, name, district=districts[district])
        for name, district in PROVIDERS
    }
    scopes = {**districts, **departments, **units, **providers}
    health = db.session.scalar(sa.select(TitleSeries).where(TitleSeries.name == "卫生"))

    shown = []
    for role, scope, first17, name, unit, state in ACCOUNTS:
        id_number = first17 + check_character(first17)
        user = user_by_id_number(id_number)
        if user is None:
            user = User(
                id_number=id_number,
                name=name,
                phone="1380631" + first17[-4:],
                unit=units.get(unit or ""),
                title_series=health if role is Role.learner else None,
                password_hash=hash_password(DEMO_PASSWORD),
                state=state,
            )
            db.session.add(user)
            db.session.flush()
            add_role(user, role, scopes.get(scope or ""))
        label = role.value + (" (pending)" if state is AccountState.pending else "")
        shown.append((label, id_number, name))
    db.session.flush()
    logger.info("demo content ready")
    return shown


#: (title, category, topic, description, [(video title, seconds, ffmpeg test picture)])
COURSES = (
    ("新时代中国特色社会主义思想学习", Category.public_compulsory,
     "习近平新时代中国特色社会主义思想", "公需科目必修示例课程。",
     [("第一讲 导论", 300, "smptebars"), ("第二讲 实践", 15, "testsrc2")]),
    ("职业道德与能力建设", Category.public_compulsory, "职业道德和能力建设",
     "专业技术人员职业道德规范与能力提升。", [("职业道德概述", 18, "rgbtestsrc")]),
    ("网络安全基础", Category.public_elective, "网络安全",
     "个人信息保护与日常网络安全常识。", [("常见网络风险", 16, "testsrc")]),
    ("工伤预防知识", Category.public_elective, "工伤预防",
     "工作场所常见伤害的预防与处置。", [("工伤预防要点", 14, "pal75bars")]),
    ("临床合理用药", Category.professional, None,
     "面向卫生系列专业技术人员的合理用药培训。", [("抗菌药物使用原则", 300, "rgbtestsrc")]),
    ("工程项目质量管理", Category.professional, None,
     "工程系列：施工质量控制与验收。", [("质量控制体系", 17, "smptehdbars")]),
)


def seed_courses() -> int:
    """Published demo courses with real, short videos made by ffmpeg now and transcoded like
    any upload. Returns how many courses were added. Commits as it goes (jobs do)."""
    provider = db.session.scalar(
        sa.select(Organisation).where(Organisation.kind == OrgKind.provider)
    )
    admin = db.session.scalar(
        sa.select(User).join(User.roles).where(RoleAssignment.role == Role.city_admin)
    )
    year = topic_year()
    added = 0
    for title, category, topic_name, description, videos in COURSES:
        if db.session.scalar(sa.select(Course.id).where(Course.title == title)):
            continue
        topic = db.session.scalar(
            sa.select(Topic).where(Topic.year == year, Topic.name == topic_name)
        ) if topic_name else None
        course = Course(
            title=title, description=description, category=category, topic=topic,
            provider=provider, status=CourseStatus.submitted, submitted_at=utcnow(),
        )
        db.session.add(course)
        for position, (video_title, seconds, picture) in enumerate(videos, 1):
            video = Video(course=course, position=position, title=video_title,
                          original_filename=f"{video_title}.mp4", size=1, received=1,
                          state=VideoState.uploading)
            db.session.add(video)
            db.session.flush()
            path = storage.upload_path(video.id)
            path.parent.mkdir(parents=True, exist_ok=True)
            _make_video(path, seconds, picture)
            video.size = video.received = path.stat().st_size
            video.state = VideoState.queued
        db.session.commit()
        for video in list(course.videos):
            process_video(video.id)
        db.session.refresh(course)
        if all(video.state is VideoState.ready for video in course.videos):
            course.status = CourseStatus.published
            course.published_at = utcnow()
            course.published_by_id = admin.id if admin else None
        else:  # never publish a video that did not make it: leave it for a person to see
            logger.warning("demo course %r left unpublished: a video failed", title)
        db.session.commit()
        added += 1
    return added


def _make_video(path: Path, seconds: int, picture: str) -> None:
    # Long ones small and slow-moving, so seeding stays quick.
    size, rate = ("640x360", 25) if seconds < 60 else ("320x180", 10)
    done = media_tools.run(
        [
            media_tools.executable("ffmpeg"), "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"{picture}=size={size}:rate={rate}:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=523:sample_rate=44100:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-f", "mp4", str(path),
        ],
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg could not make a demo video: {done.stderr[-300:]}")


@click.command("demo")
@click.option("--no-videos", is_flag=True, help="accounts and organisations only")
@with_appcontext
def demo_command(no_videos: bool) -> None:
    """Seed demo organisations, accounts and courses with real videos (safe to run again)."""
    accounts = seed_demo()
    db.session.commit()
    if not no_videos:
        added = seed_courses()
        if added:
            click.echo(f"Added {added} demo courses with videos made by ffmpeg.")
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for role, id_number, name in accounts:
        click.echo(f"  {role:<24} {id_number}  {name}")
