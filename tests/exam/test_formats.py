"""Question files (rules §5): Aiken and GIFT as Moodle writes them, UTF-8 with or without BOM and
GBK; every problem tied to its line; anything the platform cannot ask is reported, never
dropped; random bytes and mangled files get an answer, never an exception."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.exam.formats import Problem, aiken, gift
from lms.exam.formats.text import NotText, decode
from lms.exam.questions import TRUE_FALSE, Draft, QuestionType, problems

AIKEN = """高血压的诊断标准是？
A. 收缩压 ≥ 120 mmHg
B. 收缩压 ≥ 140 mmHg
C. 舒张压 ≥ 80 mmHg
ANSWER: B

《执业医师法》规定，医师应当
Ａ．遵守技术操作规范
Ｂ．随意开具处方
ANSWER：A
"""

GIFT = """// 医疗法规题库
$CATEGORY: $course$/医疗法规

::Q1:: 高血压的诊断标准是？ {
    ~收缩压 ≥ 120 mmHg
    =收缩压 ≥ 140 mmHg#正确
    ####见《中国高血压防治指南》
}

::Q2:: 以下属于抗菌药物的有 { ~%50%青霉素 ~%50%头孢 ~%-100%阿司匹林 }

医师可以不经患者同意公开其病历。 {FALSE}

符号 \\{ 和 \\} 以及 \\= 要转义 { =是 ~否 }
"""


def readable(reading):
    return [(where, d.type.value, d.stem, d.options, sorted(d.answer))
            for where, d in reading.questions], [str(p) for p in reading.problems]


# --- questions ---------------------------------------------------------------------------------


def test_a_well_formed_question_has_no_problems():
    assert problems(Draft(QuestionType.multiple, "以下正确的是", ("甲", "乙", "丙"),
                          frozenset({0, 2}))) == []


@pytest.mark.parametrize(("draft", "message"), [
    (Draft(QuestionType.single, " ", ("甲", "乙"), frozenset({0})), "题干为空"),
    (Draft(QuestionType.single, "题", ("甲",), frozenset({0})), "选择题至少要有 2 个选项"),
    (Draft(QuestionType.single, "题", tuple("甲乙丙丁戊己庚辛壬"), frozenset({0})),
     "选项不能超过 8 个（A–H）"),
    (Draft(QuestionType.single, "题", ("甲", "乙"), frozenset({3})), "正确答案 D 没有对应的选项"),
    (Draft(QuestionType.single, "题", ("甲", "乙"), frozenset({0, 1})), "单选题只能有一个正确答案"),
    (Draft(QuestionType.multiple, "题", ("甲", "乙"), frozenset({0})),
     "多选题至少要有两个正确答案"),
    (Draft(QuestionType.single, "题", ("甲", ""), frozenset({0})), "选项B为空"),
    (Draft(QuestionType.single, "题", ("甲", "甲"), frozenset({0})), "有重复的选项"),
    (Draft(QuestionType.single, "题", ("甲", "乙"), frozenset()), "没有正确答案"),
    (Draft(QuestionType.true_false, "题", TRUE_FALSE, frozenset({0, 1})),
     "判断题的答案应为“正确”或“错误”"),
])
def test_each_kind_of_malformed_question_is_named(draft, message):
    assert message in problems(draft)


# --- text --------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_utf8_with_or_without_bom_and_gbk_read_the_same(encoding):
    assert decode(AIKEN.encode(encoding)) == AIKEN
    assert readable(aiken.read(decode(AIKEN.encode(encoding))))[0][0][2] == "高血压的诊断标准是？"


def test_windows_line_ends_are_read():
    assert decode(AIKEN.replace("\n", "\r\n").encode()) == AIKEN


@pytest.mark.parametrize("data", [b"PK\x03\x04\x14\x00\x00\x00", bytes(range(256)),
                                  b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_binary_files_are_not_text(data):
    with pytest.raises(NotText):
        decode(data)


# --- Aiken -------------------------------------------------------------------------------------


def test_aiken_questions_are_read_with_their_lines():
    questions, found = readable(aiken.read(AIKEN))
    assert found == []
    assert questions == [
        (1, "single", "高血压的诊断标准是？",
         ("收缩压 ≥ 120 mmHg", "收缩压 ≥ 140 mmHg", "舒张压 ≥ 80 mmHg"), [1]),
        (7, "single", "《执业医师法》规定，医师应当", ("遵守技术操作规范", "随意开具处方"), [0]),
    ]


def test_aiken_problems_are_tied_to_their_lines():
    text = """第一题
A. 一
B. 二
ANSWER: E

第二题
A. 一
C. 三
ANSWER: A

第三题
A. 一
B. 二
ANSWER: AB

第四题
A. 一
B. 二
"""
    questions, found = readable(aiken.read(text))
    assert questions == []
    assert found == [
        "第 1 行：正确答案 E 没有对应的选项",
        "第 8 行：选项应按 A、B、C… 的顺序，最多 8 个；这里是选项C",
        "第 11 行：答案 “AB” 无效：Aiken 格式只有单选题，答案是一个字母",
        "第 16 行：这道题没有以 “ANSWER: 字母” 结束",
    ]


# --- GIFT --------------------------------------------------------------------------------------


def test_gift_single_multiple_and_true_false_are_read():
    reading = gift.read(GIFT)
    questions, found = readable(reading)
    assert found == []
    assert questions == [
        (4, "single", "高血压的诊断标准是？", ("收缩压 ≥ 120 mmHg", "收缩压 ≥ 140 mmHg"), [1]),
        (10, "multiple", "以下属于抗菌药物的有", ("青霉素", "头孢", "阿司匹林"), [0, 1]),
        (12, "true_false", "医师可以不经患者同意公开其病历。", TRUE_FALSE, [1]),
        (14, "single", "符号 { 和 } 以及 = 要转义", ("是", "否"), [0]),
    ]
    first = reading.questions[0][1]
    assert first.explanation == "见《中国高血压防治指南》" and first.tags == ("医疗法规",)


def test_gift_questions_the_platform_cannot_ask_are_reported_not_dropped():
    text = """::E:: 谈谈你对医德的理解 {}

::N:: 一天有几个小时？ {#24}

::M:: 配对 { =甲 -> 1 =乙 -> 2 }

::S:: 我国的首都是 { =北京 =北京市 }

医师应当 {=遵守 ~违反} 技术规范。

::B:: 没有结束 { =甲 ~乙

::Z:: 没有答案
"""
    questions, found = readable(gift.read(text))
    assert questions == []
    assert found == [
        "第 1 行：不支持问答题（essay）",
        "第 3 行：不支持数值题（numerical）",
        "第 5 行：不支持匹配题（matching）",
        "第 7 行：不支持简答题（short answer：只有 = 的答案）",
        "第 9 行：不支持填空式题目（答案在题干中间）",
        "第 11 行：大括号 { } 不成对，或一道题有多处答案（题干中的大括号请写成 \\{ \\}）",
    ]


def test_gift_true_false_with_text_after_the_braces_gets_a_blank_where_the_answer_was():
    """As Moodle reads it: the answer may sit mid-sentence, and the stem keeps "_____" there."""
    text = """::Q1:: 1+1 {T} 是正确的。

中国的首都是{FALSE#不对}上海。

::Q3::《执业医师法》规定 { TRUE ####见第二十二条 } 医师应当遵守技术操作规范。
"""
    reading = gift.read(text)
    questions, found = readable(reading)
    assert found == []
    assert questions == [
        (1, "true_false", "1+1 _____ 是正确的。", TRUE_FALSE, [0]),
        (3, "true_false", "中国的首都是_____上海。", TRUE_FALSE, [1]),
        (5, "true_false", "《执业医师法》规定 _____ 医师应当遵守技术操作规范。", TRUE_FALSE, [0]),
    ]
    assert reading.questions[2][1].explanation == "见第二十二条"


def test_gift_format_markers_are_taken_off_stems_answers_and_explanations():
    text = """::Q1::[html]高血压的诊断标准是？ {
    ~[plain]收缩压 ≥ 120 mmHg
    =[html]收缩压 ≥ 140 mmHg#[moodle]正确
    ####[markdown]见《中国高血压防治指南》
}

::Q2:: [moodle]以下属于抗菌药物的有 { ~%50%[markdown]青霉素 ~%50%[PLAIN]头孢 ~%-100%阿司匹林 }

[markdown]医师可以不经患者同意公开其病历。 {F ####[plain]见《医师法》}
"""
    reading = gift.read(text)
    questions, found = readable(reading)
    assert found == []
    assert questions == [
        (1, "single", "高血压的诊断标准是？", ("收缩压 ≥ 120 mmHg", "收缩压 ≥ 140 mmHg"), [1]),
        (7, "multiple", "以下属于抗菌药物的有", ("青霉素", "头孢", "阿司匹林"), [0, 1]),
        (9, "true_false", "医师可以不经患者同意公开其病历。", TRUE_FALSE, [1]),
    ]
    assert [d.explanation for _, d in reading.questions] == [
        "见《中国高血压防治指南》", "", "见《医师法》"]


# --- fuzzing: random bytes and mangled files never raise --------------------------------------


def read_any(data: bytes) -> None:
    try:
        text = decode(data)
    except NotText:
        return
    for reader in (aiken.read, gift.read):
        reading = reader(text)
        assert all(isinstance(p, Problem) for p in reading.problems)
        assert all(not problems(draft) for _, draft in reading.questions)


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_random_bytes_get_an_answer(data):
    read_any(data)


@settings(max_examples=300)
@given(st.randoms(use_true_random=False), st.sampled_from([AIKEN, GIFT]))
def test_mangled_files_get_an_answer(rng, text):
    data = bytearray(text.encode(rng.choice(["utf-8", "gbk"])))
    for _ in range(rng.randint(1, 20)):
        at = rng.randrange(len(data))
        action = rng.choice(["flip", "drop", "dup", "brace", "newline"])
        if action == "flip":
            data[at] = rng.randrange(256)
        elif action == "drop":
            del data[at:at + rng.randint(1, 30)]
        elif action == "dup":
            data[at:at] = data[at:at + rng.randint(1, 60)]
        else:
            data[at:at] = {"brace": b"{", "newline": b"\n\n"}.get(action, b"")
    read_any(bytes(data))


def test_ten_thousand_aiken_questions_are_read_quickly_and_more_are_refused():
    one = "题{n}\nA. 甲\nB. 乙\nANSWER: A\n\n"
    reading = aiken.read("".join(one.format(n=n) for n in range(10_000)))
    assert len(reading.questions) == 10_000 and reading.problems == []
    too_many = aiken.read("".join(one.format(n=n) for n in range(10_001)))
    assert [str(p) for p in too_many.problems] == ["文件中的题目超过 10000 道"]
