"""Files in: images and PDFs are what their bytes say, whatever they are called; a picture too
big to decode is refused from its header, a PDF that would run something is refused."""

import hashlib

import pytest

from lms.files import intake
from lms.files.intake import Refused
from tests.files import bombs


def test_a_jpeg_and_a_png_are_identified_by_content():
    for data, mime in ((bombs.jpeg(64, 48), "image/jpeg"), (bombs.png(64, 48), "image/png")):
        found = intake.identify(data)
        assert (found.kind, found.mime_type, found.width, found.height, found.pages) == (
            "image", mime, 64, 48, None)
        assert (found.size, found.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_a_path_is_read_by_its_content_not_its_name(tmp_path):
    path = tmp_path / "证明材料.pdf"
    path.write_bytes(bombs.jpeg())
    assert intake.identify(path).mime_type == "image/jpeg"
    with pytest.raises(Refused, match="文件不是 PDF（按文件内容判断，与文件名无关）"):
        intake.read_pdf(path)
    path.write_bytes(bombs.pdf())
    with pytest.raises(Refused, match="请上传 JPG 或 PNG"):
        intake.read_image(str(path))
    assert intake.read_pdf(str(path)).pages == 1


@pytest.mark.parametrize("data", [
    b"GIF89a" + bytes(100),
    b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    bombs.pdf_that_is_a_zip(),
])
def test_anything_else_is_refused(data):
    with pytest.raises(Refused, match="文件不是 PDF、JPG 或 PNG"):
        intake.identify(data)


def test_damaged_images_are_refused():
    jpeg, png = bombs.jpeg(), bombs.png()
    broken_png = bytearray(png)
    broken_png[40] ^= 0xFF  # inside the pixel data: its checksum no longer matches
    for data in (jpeg[: len(jpeg) // 2], bytes(broken_png), png[:30], b"\xff\xd8\xff" + bytes(9)):
        with pytest.raises(Refused, match="图片无法读取"):
            intake.read_image(data)


def test_the_pixel_cap_is_checked_from_the_header_before_decoding(app, monkeypatch):
    with app.app_context():
        monkeypatch.setitem(app.config, "IMAGE_MAX_PIXELS", 64 * 48 - 1)
        for data in (bombs.jpeg(64, 48), bombs.png(64, 48)):
            with pytest.raises(Refused, match="64×48 像素，超过上限"):
                intake.read_image(data)
        monkeypatch.setitem(app.config, "IMAGE_MAX_BYTES", 100)
        with pytest.raises(Refused, match="超过上限"):
            intake.read_image(bombs.jpeg())


def test_a_plain_pdf_is_identified_with_its_pages():
    data = bombs.pdf(catalog="/OpenAction [3 0 R /Fit] ")  # opening at a page: harmless
    found = intake.read_pdf(data)
    assert (found.kind, found.mime_type, found.pages, found.size) == (
        "pdf", "application/pdf", 1, len(data))


@pytest.mark.parametrize(("catalog", "objects", "names"), [
    ("/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ", (), "JS、JavaScript"),
    ("/OpenAction 4 0 R ", ("<< /S /Launch /F (calc.exe) >>",), "Launch"),
    ("/Names << /EmbeddedFiles 4 0 R >> ", ("<< /Names [] >>",), "EmbeddedFiles"),
    ("/Names << /J#61vaScript 4 0 R >> ", ("<< /Names [] >>",), "JavaScript"),
    ("/AA << /WC 4 0 R >> ", ("<< /S /URI /URI (http://x) >>",), "AA"),
    ("/AcroForm << /XFA 4 0 R >> ", ("<< >>",), "XFA"),
])
def test_a_pdf_that_would_run_something_or_carries_files_is_refused(catalog, objects, names):
    with pytest.raises(Refused, match=f"PDF 中含有脚本、自动动作或嵌入的文件（.*{names}"):
        intake.read_pdf(bombs.pdf(*objects, catalog=catalog))


def test_a_script_hidden_in_a_compressed_object_stream_is_found():
    data = bombs.pdf_with_hidden_script()
    assert b"JavaScript" not in data
    with pytest.raises(Refused, match="JavaScript"):
        intake.read_pdf(data)


def test_a_cut_short_or_damaged_or_oversized_pdf_is_refused(app, monkeypatch):
    with pytest.raises(Refused, match="缺少结尾标记"):
        intake.read_pdf(bombs.pdf(trailer_eof=False))
    with pytest.raises(Refused, match="PDF 文件已损坏"):
        intake.read_pdf(b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n")
    with app.app_context():
        monkeypatch.setitem(app.config, "PDF_MAX_BYTES", 100)
        with pytest.raises(Refused, match="超过上限"):
            intake.read_pdf(bombs.pdf())
