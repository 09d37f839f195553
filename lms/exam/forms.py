"""Forms of the question banks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.courses.forms import CheckboxesField
from lms.exam.models import ShowAfter
from lms.exam.questions import LETTERS, TRUE_FALSE, Draft, QuestionType, split_tags
from lms.exam.services import FORMATS
from lms.forms import DecimalField, Form, IntegerField, choice_list


class BankForm(Form):
    name = StringField(_l("题库名称"), validators=[
        DataRequired(_l("请输入题库名称。")), Length(max=80, message=_l("名称不超过 80 字。"))])
    description = TextAreaField(_l("说明"), validators=[Length(max=2000)])
    #: "" for the city's bank (exam admins), else a provider's id.
    provider_id = SelectField(_l("所属"), choices=[])


class ImportForm(Form):
    file = FileField(_l("题目文件（.xlsx、GIFT 或 Aiken 文本）"),
                     validators=[FileRequired(_l("请选择文件。"))])
    format = SelectField(_l("文件格式"), default="auto",
                         choices=choice_list([("auto", _l("自动识别")), *FORMATS.items()]))


def _count(label: str) -> IntegerField:
    return IntegerField(label, default=0, validators=[
        InputRequired(_l("请填写题数。")), NumberRange(0, 200, _l("题数应为 0–200。"))])


def _points(label: str) -> DecimalField:
    return DecimalField(label, default=2, places=1, validators=[
        InputRequired(_l("请填写分值。")), NumberRange(0.5, 100, _l("分值应为 0.5–100。"))])


class ExamForm(Form):
    banks = CheckboxesField(_l("抽题题库"), coerce=int,
                            validators=[DataRequired(_l("请至少选择一个题库。"))])
    tags = StringField(_l("只抽带这些标签的题（可不填，多个用逗号分隔）"),
                       validators=[Length(max=200)])
    single_count = _count(_l("单选题数"))
    single_points = _points(_l("单选每题分值"))
    multiple_count = _count(_l("多选题数"))
    multiple_points = _points(_l("多选每题分值"))
    true_false_count = _count(_l("判断题数"))
    true_false_points = _points(_l("判断每题分值"))
    pass_mark = DecimalField(_l("及格分"), default=60, places=1, validators=[
        InputRequired(_l("请填写及格分。")), NumberRange(1, 1000, _l("及格分应大于 0。"))])
    minutes = IntegerField(_l("考试时长（分钟）"), default=60, validators=[
        InputRequired(_l("请填写考试时长。")), NumberRange(5, 300, _l("时长应为 5–300 分钟。"))])
    shuffle_questions = BooleanField(_l("打乱题目顺序"), default=True)
    shuffle_options = BooleanField(_l("打乱选项顺序"), default=True)
    show_after = SelectField(_l("交卷后显示"), default=ShowAfter.score.value, choices=choice_list(
        [(s.value, s.label) for s in ShowAfter]))
    partial_credit = BooleanField(_l("多选题少选得一半分（错选不得分）"))

    def counts(self) -> dict[QuestionType, tuple[int, object]]:
        return {kind: (getattr(self, f"{kind.value}_count").data,
                       getattr(self, f"{kind.value}_points").data) for kind in QuestionType}


class QuestionForm(Form):
    """One question, as an admin writes it; what makes it well formed is checked by
    ``questions.problems`` when it is saved, in the same words as an import."""

    type = SelectField(_l("题型"), choices=choice_list([(t.value, t.label) for t in QuestionType]))
    stem = TextAreaField(_l("题干"), validators=[DataRequired(_l("请输入题干。"))])
    option_a = StringField(_l("选项A"))
    option_b = StringField(_l("选项B"))
    option_c = StringField(_l("选项C"))
    option_d = StringField(_l("选项D"))
    option_e = StringField(_l("选项E"))
    option_f = StringField(_l("选项F"))
    option_g = StringField(_l("选项G"))
    option_h = StringField(_l("选项H"))
    correct = CheckboxesField(_l("正确答案（判断题：A 为“正确”，B 为“错误”）"),
                              choices=choice_list([(letter, letter) for letter in LETTERS]),
                              validators=[DataRequired(_l("请勾选正确答案。"))])
    explanation = TextAreaField(_l("解析"), validators=[Length(max=5000)])
    difficulty = SelectField(_l("难度"), default="", choices=choice_list(
        [("", _l("不填")), *((str(n), str(n)) for n in range(1, 6))]))
    points = DecimalField(_l("建议分值"), places=1, validators=[
        Optional(), NumberRange(0.5, 100, _l("分值应为 0.5–100。"))])
    tags = StringField(_l("分类/标签（多个用逗号分隔）"), validators=[Length(max=200)])

    def option_fields(self) -> list[StringField]:
        return [getattr(self, f"option_{letter.lower()}") for letter in LETTERS]

    def draft(self) -> Draft:
        kind = QuestionType(self.type.data)
        options = [(f.data or "").strip() for f in self.option_fields()]
        while options and not options[-1]:
            options.pop()  # the unused options at the end; an empty one between is a problem
        return Draft(
            kind, self.stem.data.strip(),
            TRUE_FALSE if kind is QuestionType.true_false else tuple(options),
            frozenset(LETTERS.index(letter) for letter in self.correct.data),
            (self.explanation.data or "").strip(),
            int(self.difficulty.data) if self.difficulty.data else None, self.points.data,
            split_tags(self.tags.data or ""),
        )

    def fill(self, draft: Draft) -> None:
        self.type.data, self.stem.data = draft.type.value, draft.stem
        if draft.type is not QuestionType.true_false:
            for f, text in zip(self.option_fields(), draft.options, strict=False):
                f.data = text
        self.correct.data = [LETTERS[i] for i in sorted(draft.answer)]
        self.explanation.data = draft.explanation
        self.difficulty.data = str(draft.difficulty) if draft.difficulty else ""
        self.points.data, self.tags.data = draft.points, "，".join(draft.tags)
