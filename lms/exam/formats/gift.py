"""Moodle's GIFT format, for the question types the platform has.

    // a comment
    $CATEGORY: 医疗法规
    ::Q1:: 高血压的诊断标准是？ {
        ~收缩压 ≥ 120 mmHg
        =收缩压 ≥ 140 mmHg#正确
        ####《中国高血压防治指南》
    }
    ::Q2:: 以下属于抗菌药物的有 { ~%50%青霉素 ~%50%头孢 ~%-100%阿司匹林 }
    ::Q3:: 医师可以不经患者同意公开其病历。 {F}

Single choice (one "="), multiple choice ("~%weight%", the positive ones correct) and
true/false ({T} {F} {TRUE} {FALSE}) are read. A true/false answer may stand mid-sentence
("1+1 {T} 是正确的。"): as in Moodle, the stem keeps "_____" where it was. Essays, matching,
numerical, short-answer and missing-word choice questions are reported by line, never dropped
silently. "####" starts the general feedback, kept as the explanation; "\\" escapes ~ = # { } :.
A text format marker ([html] [moodle] [plain] [markdown]) before the stem, an option or the
explanation is taken off; the text itself is kept as written.
"""

from __future__ import annotations

import re
from dataclasses import replace

from flask_babel import gettext as _

from lms.exam.formats import MAX_QUESTIONS, Reading
from lms.exam.questions import Draft, QuestionType, true_false

_TITLE = re.compile(r"^::(.*?)::", re.DOTALL)
_FORMAT = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_ESCAPED = {"\\~": "~", "\\=": "=", "\\#": "#", "\\{": "{", "\\}": "}", "\\:": ":",
            "\\n": "\n"}
_PLACEHOLDER = "\x00{}\x00"


def read(text: str) -> Reading:
    reading = Reading()
    category = ""
    for start, block in _blocks(text):
        if len(reading.questions) + len(reading.problems) >= MAX_QUESTIONS:
            reading.refuse(0, _("文件中的题目超过 %(n)d 道", n=MAX_QUESTIONS))
            break
        if block.startswith("$CATEGORY:"):
            category = block.removeprefix("$CATEGORY:").strip().split("/")[-1]
            continue
        _question(reading, start, block, category)
    return reading


def _blocks(text: str) -> list[tuple[int, str]]:
    """Questions and category lines, with the line each starts on: questions are separated by
    blank lines, comments dropped; a blank line inside braces does not end a question."""
    blocks: list[tuple[int, str]] = []
    lines: list[str] = []
    start, depth = 0, 0
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip()
        if line.lstrip().startswith("//"):
            continue
        category = line.strip().startswith("$CATEGORY:")
        if (not line.strip() or category) and depth == 0:
            if lines:
                blocks.append((start, "\n".join(lines).strip()))
                lines = []
            if category:  # a line of its own
                blocks.append((number, line.strip()))
            continue
        if not lines:
            start = number
        lines.append(line)
        unescaped = _hide_escapes(line)
        depth = max(0, depth + unescaped.count("{") - unescaped.count("}"))
    if lines:
        blocks.append((start, "\n".join(lines).strip()))
    return blocks


def _hide_escapes(text: str) -> str:
    for n, escaped in enumerate(_ESCAPED):
        text = text.replace(escaped, _PLACEHOLDER.format(n))
    return text


def _question(reading: Reading, start: int, block: str, category: str) -> None:
    text = _hide_escapes(block)
    text = _TITLE.sub("", text, count=1).strip()
    text = _FORMAT.sub("", text, count=1).strip()
    if text.count("{") != 1 or text.count("}") != 1 or text.index("{") > text.index("}"):
        if "{" not in text:
            reading.refuse(start, _("找不到答案部分 { … }"))
        else:
            reading.refuse(start, _("大括号 { } 不成对，或一道题有多处答案"
                                    "（题干中的大括号请写成 \\{ \\}）"))
        return
    before, rest = text.split("{", 1)
    answers, after = rest.split("}", 1)
    answers, _feedback, explanation = answers.partition("####")
    explanation = _text(explanation)
    tags = (category,) if category else ()
    body = answers.strip()
    true_or_false = re.fullmatch(r"(T|TRUE|F|FALSE)(#.*)?", body, re.DOTALL)
    if after.strip():
        if not true_or_false:
            reading.refuse(start, _("不支持填空式题目（答案在题干中间）"))
            return
        # As Moodle reads it: the stem keeps a blank where the answer was.
        stem = _clean(before + "_____" + after)
    else:
        stem = _clean(before)
    if not body:
        reading.refuse(start, _("不支持问答题（essay）"))
    elif body.startswith("#"):
        reading.refuse(start, _("不支持数值题（numerical）"))
    elif "->" in body:
        reading.refuse(start, _("不支持匹配题（matching）"))
    elif true_or_false:
        correct = body.split("#")[0] in ("T", "TRUE")
        reading.add(start, replace(true_false(stem, correct, explanation), tags=tags))
    else:
        _choice(reading, start, stem, body, explanation, tags)


def _choice(reading: Reading, start: int, stem: str, body: str, explanation: str,
            tags: tuple[str, ...]) -> None:
    marked = re.split(r"([=~])", body)
    if marked[0].strip():
        reading.refuse(start, _("答案部分应以 = 或 ~ 开头：“%(text)s”",
                                text=_clean(marked[0])[:20]))
        return
    options: list[str] = []
    correct: set[int] = set()
    weighted = False
    for marker, answer in zip(marked[1::2], marked[2::2], strict=True):
        answer = answer.strip()
        weight = _WEIGHT.match(answer)
        if weight:
            weighted = True
            answer = answer[weight.end():]
        option = _text(answer.split("#")[0])  # "#…" is the option's feedback
        if marker == "=" or (weight and float(weight.group(1)) > 0):
            correct.add(len(options))
        options.append(option)
    if "~" not in marked:
        reading.refuse(start, _("不支持简答题（short answer：只有 = 的答案）"))
        return
    kind = QuestionType.multiple if weighted or len(correct) > 1 else QuestionType.single
    reading.add(start, Draft(kind, stem, tuple(options), frozenset(correct), explanation,
                             tags=tags))


def _text(text: str) -> str:
    """An answer's or the feedback's text, without its [html]/[moodle]/[plain]/[markdown]."""
    return _clean(_FORMAT.sub("", text.strip(), count=1))


def _clean(text: str) -> str:
    for n, plain in enumerate(_ESCAPED.values()):
        text = text.replace(_PLACEHOLDER.format(n), plain)
    return text.strip()


# --- writing ------------------------------------------------------------------------------------

#: Moodle accepts only these percentages; n correct options of a multiple choice get 100/n.
_SHARES = {2: "50", 3: "33.33333", 4: "25", 5: "20", 6: "16.66667", 7: "14.28571", 8: "12.5"}


def write(drafts: list[Draft]) -> str:
    """``drafts`` as GIFT, under a $CATEGORY line wherever their first tag changes."""
    out, category = [], ""
    for number, draft in enumerate(drafts, 1):
        tag = draft.tags[0] if draft.tags else ""
        if tag != category:
            out.append(f"$CATEGORY: {_escape(tag)}\n")
            category = tag
        out.append(f"::Q{number}:: {_escape(draft.stem)} {{\n{_answers(draft)}"
                   + (f"\t####{_escape(draft.explanation)}\n" if draft.explanation else "")
                   + "}\n")
    return "\n".join(out)


def _answers(draft: Draft) -> str:
    if draft.type is QuestionType.true_false:
        return "\tTRUE\n" if draft.answer == {0} else "\tFALSE\n"
    lines = []
    for index, option in enumerate(draft.options):
        right = index in draft.answer
        if draft.type is QuestionType.single:
            marker = "=" if right else "~"
        else:
            marker = f"~%{_SHARES[len(draft.answer)]}%" if right else "~%-100%"
        lines.append(f"\t{marker}{_escape(option)}\n")
    return "".join(lines)


def _escape(text: str) -> str:
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")
