"""Moodle's Aiken format: single-choice questions, one after another.

    高血压的诊断标准是？
    A. 收缩压 ≥ 120 mmHg
    B. 收缩压 ≥ 140 mmHg
    ANSWER: B

The stem may run over several lines; options are "A." "A)" "A、" or "A．" (full-width letters
and colons from Chinese input methods too); ANSWER ends the question.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.exam.formats import MAX_QUESTIONS, Reading
from lms.exam.questions import LETTERS, Draft, QuestionType

_OPTION = re.compile(r"^([A-Za-zＡ-Ｚａ-ｚ])\s*[.)、．）]\s*(.*)$")
_ANSWER = re.compile(r"^(?:ANSWER|ＡＮＳＷＥＲ)\s*[:：]\s*(.*)$", re.IGNORECASE)
_NOT_ENDED = _l("这道题没有以 “ANSWER: 字母” 结束")


def read(text: str) -> Reading:
    reading = Reading()
    stem: list[str] = []
    options: list[str] = []
    start, skipping = 0, False
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        answer, option = _ANSWER.match(line), _OPTION.match(line)
        if skipping:  # the rest of a question already refused
            skipping = bool(line) and not answer
            continue
        if not line:
            if options:
                reading.refuse(start, str(_NOT_ENDED))
                stem, options = [], []
            continue  # between questions, or a blank line inside a stem
        if len(reading.questions) + len(reading.problems) >= MAX_QUESTIONS:
            reading.refuse(0, _("文件中的题目超过 %(n)d 道", n=MAX_QUESTIONS))
            return reading
        if answer:
            if stem:
                _finish(reading, start, stem, options, _ascii(answer.group(1)).upper())
            else:
                reading.refuse(number, _("ANSWER 之前没有题干"))
            stem, options = [], []
        elif option and stem:
            letter = _ascii(option.group(1)).upper()
            expected = LETTERS[len(options)] if len(options) < len(LETTERS) else None
            if letter != expected:
                reading.refuse(number, _("选项应按 A、B、C… 的顺序，最多 %(n)d 个；"
                                         "这里是选项%(letter)s", n=len(LETTERS), letter=letter))
                stem, options, skipping = [], [], True
                continue
            options.append(option.group(2).strip())
        elif options:
            options[-1] = f"{options[-1]} {line}"  # an option that runs over lines
        else:
            if not stem:
                start = number
            stem.append(line)
    if stem:
        reading.refuse(start, str(_NOT_ENDED))
    return reading


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _finish(reading: Reading, start: int, stem: list[str], options: list[str],
            answer: str) -> None:
    if len(answer) != 1 or answer not in LETTERS:
        reading.refuse(start, _("答案 “%(answer)s” 无效：Aiken 格式只有单选题，答案是一个字母",
                                answer=answer))
        return
    reading.add(start, Draft(QuestionType.single, "\n".join(stem), tuple(options),
                             frozenset({LETTERS.index(answer)})))
