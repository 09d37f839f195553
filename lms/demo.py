"""Demo content for a newcomer to click through: organisations, one account per role,
published courses with short real videos, a question bank with an exam for every public
course, and the demo learner's declared hours in every state of their review.

Idempotent: running it again adds only what is missing.
"""

from __future__ import annotations

import logging
import zlib
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
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
from lms.declarations import services as declarations
from lms.declarations.models import DeclarationType
from lms.exam import services as exams
from lms.exam.models import Question, QuestionBank, ShowAfter
from lms.exam.questions import Draft, QuestionType, true_false
from lms.extensions import db
from lms.orgs.models import Organisation, OrgKind, TitleSeries
from lms.reviews.models import Action
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
#: (name, district or None for city level (市直), department or None)
UNITS = (
    ("威海市立医院", "环翠区", "威海市卫生健康委员会"),
    ("威海市第一中学", "环翠区", "威海市教育局"),
    ("文登区人民医院", "文登区", "文登区卫生健康局"),
    # 市直: in no district, its declarations go to the city HR bureau.
    ("威海市中心血站", None, "威海市卫生健康委员会"),
)
PROVIDERS = (("威海职业学院继续教育基地", "环翠区"),)

#: (role, scope organisation, 17 digits before the check character, name, unit, state)
ACCOUNTS = (
    (Role.learner, None, "37100219850612301", "张伟", "威海市立医院", AccountState.active),
    (Role.learner, None, "37100219920315402", "李娜", "威海市立医院", AccountState.pending),
    (Role.learner, None, "37100219930821203", "周敏", "威海市中心血站", AccountState.active),
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
            OrgKind.unit, name,
            district=districts[district] if district else None,
            department=departments[department] if department else None,
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
        if user.unit is not None and user.unit.city_level:
            label += " (市直)"
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


BANK = "公需科目示例题库"
#: (stem, options, indexes of the correct ones, explanation)
CHOICES = (
    ("专业技术人员每年参加继续教育的时间累计应不少于多少学时？",
     ("60", "72", "90", "120"), {2}, "每人每年累计不少于 90 学时。"),
    ("公需科目学时一般不少于总学时的多少？", ("十分之一", "三分之一", "二分之一", "三分之二"),
     {1}, "公需科目一般不少于总学时的三分之一。"),
    ("在线学习中，1 学时对应多长的有效学习时间？", ("30 分钟", "45 分钟", "50 分钟", "60 分钟"),
     {1}, "按 45 分钟折算 1 学时。"),
    ("下列哪项属于个人敏感信息？", ("公开发表的论文", "身份证号码", "单位名称", "职称系列"),
     {1}, ""),
    ("收到自称“客服”索要验证码的短信，正确做法是？",
     ("立即回复验证码", "拨打短信中的电话核实", "不提供，并通过官方渠道核实", "转发给同事"),
     {2}, "验证码不向任何人提供。"),
    ("工伤事故发生后，用人单位申请工伤认定的时限一般为？",
     ("15 日内", "30 日内", "60 日内", "1 年内"), {1}, "自事故伤害发生之日起 30 日内。"),
    ("职业道德的核心是？", ("爱岗敬业", "追求利益", "服从领导", "墨守成规"), {0}, ""),
    ("设置密码时，下列哪一个最安全？", ("123456", "生日", "姓名拼音", "字母数字符号混合的长密码"),
     {3}, ""),
)
MULTIPLE = (
    ("专业技术人员继续教育的内容包括？", ("公需科目", "专业科目", "娱乐活动"), {0, 1}, ""),
    ("防范网络诈骗，应当做到？",
     ("不点陌生链接", "不透露验证码", "把密码告诉熟人", "安装正规安全软件"), {0, 1, 3}, ""),
    ("职业道德的基本要求包括？", ("诚实守信", "办事公道", "服务群众", "弄虚作假"), {0, 1, 2}, ""),
    ("预防工伤应当？", ("按规程操作", "佩戴防护用品", "带病疲劳作业", "参加安全培训"),
     {0, 1, 3}, ""),
)
TRUE_OR_FALSE = (
    ("继续教育学时可以由他人代为观看视频获得。", False),
    ("公需科目的学时在考试合格后才予以确认。", True),
    ("在公共场所连接免密 Wi-Fi 办理网银是安全的。", False),
    ("职业道德只约束领导干部，与专业技术人员无关。", False),
    ("发生工伤后应及时救治并报告单位。", True),
    ("专业技术人员继续教育实行登记管理制度。", True),
    ("同一门课程的学时每年可以重复计算。", False),
    ("个人信息泄露后应及时修改密码并向有关部门报告。", True),
)


def seed_exams() -> None:
    """A city question bank and an exam on every public course that has none."""
    admin = db.session.scalar(
        sa.select(User).join(User.roles).where(RoleAssignment.role == Role.exam_admin)
    )
    if admin is None:
        return
    bank = db.session.scalar(sa.select(QuestionBank).where(QuestionBank.name == BANK))
    if bank is None:
        bank = exams.create_bank(admin, BANK, "演示用：公需科目通用题目。")
        drafts = [Draft(QuestionType.single, stem, options, frozenset(right), why)
                  for stem, options, right, why in CHOICES]
        drafts += [Draft(QuestionType.multiple, stem, options, frozenset(right), why)
                   for stem, options, right, why in MULTIPLE]
        drafts += [true_false(stem, right) for stem, right in TRUE_OR_FALSE]
        db.session.add_all(Question.from_draft(bank, draft) for draft in drafts)
        db.session.flush()
    public = db.session.scalars(sa.select(Course).where(Course.category.in_(
        [c for c in Category if c.is_public])))
    for course in public:
        if exams.exam_of(course) is None:
            exams.save_exam(admin, course, exams.ExamFields(
                [bank.id], [], {QuestionType.single: (5, Decimal(8)),
                                QuestionType.multiple: (2, Decimal(10)),
                                QuestionType.true_false: (5, Decimal(8))},
                minutes=20, show_after=ShowAfter.answers_after_pass))


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
        seed_exams()  # a public course is published with its exam
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


#: The demo learner's declarations: (title, type, days, hours, ended days ago, what happens).
DECLARATIONS = (
    ("全国医院感染管理培训班", DeclarationType.training, 3, 12, 40, "approved"),
    ("山东省护理学会年会", DeclarationType.training, 2, 16, 30, "at_district"),
    ("基层医疗卫生机构义诊", DeclarationType.expert_service, 1, 4, 25, "at_department"),
    ("医学论文发表：院内感染防控", DeclarationType.achievement, 1, 10, 20, "at_unit"),
    ("高等教育自学考试：护理管理学", DeclarationType.self_study, 1, 8, 15, "returned"),
    ("某商业公司产品推介会", DeclarationType.training, 1, 6, 12, "rejected"),
    ("急诊急救技能培训", DeclarationType.training, 2, 10, 5, "draft"),
)


def seed_declarations() -> None:
    """The demo learner's declarations, one in each state, and some waiting at every level of
    the chain (unit → department → district). Skipped once the learner has any."""
    learner = db.session.scalar(sa.select(User).where(User.name == "张伟"))
    found = [db.session.scalar(sa.select(User).where(User.name == name))
             for name in ("王芳", "刘洋", "陈静")]
    reviewers = [user for user in found if user is not None]
    if learner is None or len(reviewers) < len(found) or declarations.mine(learner):
        return
    today = declarations.today()
    for title, kind, days, hours, ago, fate in DECLARATIONS:
        end = today - timedelta(days=ago)
        made = declarations.save(learner, None, declarations.Fields(
            type=kind, title=title, organiser="山东省卫生健康委员会",
            start_date=end - timedelta(days=days - 1), end_date=end,
            category=Category.professional, claimed_seconds=hours * 2700,
            description="演示数据。",
        ), [("证书.pdf", _certificate(title))])
        if fate == "draft":
            continue
        declarations.submit(learner, made, acknowledged=True)
        steps = {"at_unit": 0, "at_department": 1, "at_district": 2, "approved": 3}
        for reviewer in reviewers[:steps.get(fate, 0)]:
            reduce = fate == "approved" and reviewer is reviewers[1]
            declarations.decide(reviewer, made, Action.approve,
                                reason="按实际参加天数核定" if reduce else None,
                                seconds=(hours - 2) * 2700 if reduce else None)
        if fate == "returned":
            declarations.decide(reviewers[0], made, Action.send_back,
                                reason="请上传加盖公章的成绩证明。")
        elif fate == "rejected":
            declarations.decide(reviewers[0], made, Action.reject,
                                reason="商业推介活动不属于继续教育。")
    db.session.flush()


def _certificate(title: str) -> bytes:
    """A one-page PDF standing for a certificate (its text in ASCII: no font to embed)."""
    text = f"Demo certificate #{zlib.crc32(title.encode()) % 10_000:04d}".encode()
    stream = b"BT /F1 24 Tf 72 720 Td (" + text + b") Tj ET"
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1, xref)
    return bytes(out)


@click.command("demo")
@click.option("--no-videos", is_flag=True, help="accounts and organisations only")
@click.option("--staging-copy", is_flag=True,
              help="with LMS_ENV=production: this database is a staging copy, not the city's")
@with_appcontext
def demo_command(no_videos: bool, staging_copy: bool) -> None:
    """Seed demo organisations, accounts and courses with real videos (safe to run again)."""
    if current_app.config["LMS_PRODUCTION"] and not staging_copy:
        # Demo accounts share one known password: never in the city's own database.
        raise click.ClickException(
            "LMS_ENV=production: demo accounts with a known password would be added. "
            "Run `lms demo --staging-copy` only if this database is a staging copy."
        )
    accounts = seed_demo()
    db.session.commit()
    seed_declarations()
    db.session.commit()
    if not no_videos:
        added = seed_courses()
        if added:
            click.echo(f"Added {added} demo courses with videos made by ffmpeg.")
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for role, id_number, name in accounts:
        click.echo(f"  {role:<24} {id_number}  {name}")
