"""Evidence files: read by content, capped, kept with their hashes, served only to those who
may see the declaration, as attachments; bad files refused with the field named, nothing kept."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.attachments.models import Attachment
from lms.declarations.models import Declaration
from lms.extensions import db
from tests.declarations.conftest import a_pdf, form, post_large
from tests.files import bombs

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
HTML = b"<!doctype html><html><script>alert(1)</script></html>"


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(("data", "name", "says"), [
    (EXE, "证书.pdf", "不是 PDF、JPG 或 PNG"),
    (HTML, "证书.pdf", "不是 PDF、JPG 或 PNG"),
    (b"%PDF-1.7\nthis is not a pdf at all", "证书.pdf", "证书.pdf"),
    (bombs.png_bomb(), "照片.png", "照片.png"),
    (bombs.pdf_with_hidden_script(), "证书.pdf", "证书.pdf"),
    (b"", "空.pdf", "空.pdf"),
], ids=["exe", "html", "broken-pdf", "image-bomb", "pdf-script", "empty"])
def test_a_bad_file_is_refused_on_the_field_and_nothing_is_kept(
        app, client, login_as, people, data, name, says):
    login_as(people.learner)
    response = client.submit("/declarations/new", form(evidence=(io.BytesIO(data), name)),
                             content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert says in page and 'class="field has-error"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Declaration)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert files_under(Path(app.config["MEDIA_ROOT"])) == []


def test_a_file_over_the_limit_is_refused(app, client, login_as, people, monkeypatch):
    monkeypatch.setitem(app.config, "DECLARATION_FILE_MAX_BYTES", 1024)
    login_as(people.learner)
    big = a_pdf() + b"%" + b"x" * 2048
    response = client.submit("/declarations/new", form(evidence=(io.BytesIO(big), "大.pdf")),
                             content_type="multipart/form-data")
    assert "「大.pdf」超过 0.0 MB，请压缩后再上传" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Declaration)) == 0


def test_too_many_files_are_refused(client, login_as, people):
    login_as(people.learner)
    six = [(io.BytesIO(a_pdf()), f"{n}.pdf") for n in range(6)]
    response = client.submit("/declarations/new", form(evidence=six),
                             content_type="multipart/form-data")
    assert "证明材料最多 5 个文件" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_a_kept_file_has_its_hash_and_size_and_comes_back_as_an_attachment(
        app, client, login_as, people):
    login_as(people.learner)
    data = bombs.jpeg()
    client.submit("/declarations/new", form(evidence=(io.BytesIO(data), "../../证书 照片.exe.pdf")),
                  content_type="multipart/form-data")
    attachment = db.session.scalars(sa.select(Attachment)).one()
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.size == len(data) and attachment.mime_type == "image/jpeg"
    assert attachment.filename == "证书 照片.exe.pdf" and attachment.path.endswith(".jpg")
    stored = Path(app.config["MEDIA_ROOT"]) / attachment.path
    assert stored.read_bytes() == data
    evidence_id = db.session.scalars(sa.select(Declaration)).one().evidence[0].id
    response = client.get(f"/declarations/evidence/{evidence_id}")
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Type"] == "image/jpeg"


def test_evidence_is_refused_to_people_out_of_scope(client, login_as, people, declaration):
    login_as(people.other_unit_reviewer)
    assert client.get(f"/declarations/evidence/{declaration.evidence[0].id}").status_code == 403


def test_several_large_files_together_are_taken(client, login_as, people):
    login_as(people.learner)
    padding = "x" * (6 * 1024 * 1024)
    big = bombs.pdf(f"<< /Length {len(padding)} >>\nstream\n{padding}\nendstream")
    response = post_large(client, "/declarations/new", form(evidence=[
        (io.BytesIO(big), "一.pdf"), (io.BytesIO(big), "二.pdf")]))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 2


def test_a_large_file_refused_among_others_is_named(client, login_as, people):
    login_as(people.learner)
    padding = "x" * (6 * 1024 * 1024)
    good = bombs.pdf(f"<< /Length {len(padding)} >>\nstream\n{padding}\nendstream")
    response = post_large(client, "/declarations/new", form(evidence=[
        (io.BytesIO(good), "一.pdf"), (io.BytesIO(good[:-200]), "截断.pdf")]))
    assert response.status_code == 200
    assert "「截断.pdf」" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
