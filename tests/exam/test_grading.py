"""Grading (rules §5): a question scores only when exactly right; the pass mark decides; what a
browser sends beyond the paper changes nothing. Exhaustive over small papers, and property-based
over random ones."""

from decimal import Decimal
from itertools import chain, combinations

from hypothesis import given
from hypothesis import strategies as st

from lms.exam.grading import Item, grade
from lms.exam.questions import QuestionType

PASS = Decimal(60)
OPTIONS = ("o1", "o2", "o3", "o4")


def subsets(items):
    return [frozenset(c) for c in chain.from_iterable(combinations(items, n)
                                                       for n in range(len(items) + 1))]


def multiple(correct, points=Decimal(4)):
    return Item("q", QuestionType.multiple, points, frozenset(correct))


def test_a_multiple_choice_scores_only_when_exactly_right_for_every_answer_and_key():
    for correct in subsets(OPTIONS):
        if len(correct) < 2:
            continue
        for chosen in subsets(OPTIONS):
            result = grade([multiple(correct)], {"q": chosen}, PASS)
            assert result.score == (Decimal(4) if chosen == correct else 0), (correct, chosen)


def test_partial_credit_gives_half_for_some_right_and_nothing_wrong():
    for correct in subsets(OPTIONS):
        if len(correct) < 2:
            continue
        for chosen in subsets(OPTIONS):
            earned = grade([multiple(correct)], {"q": chosen}, PASS, partial_credit=True).score
            if chosen == correct:
                assert earned == 4
            elif chosen and chosen < correct:
                assert earned == 2
            else:
                assert earned == 0, (correct, chosen)


def test_single_and_true_false_score_one_right_option_and_nothing_else():
    for kind in (QuestionType.single, QuestionType.true_false):
        item = Item("q", kind, Decimal(2), frozenset({"o2"}))
        for chosen in subsets(OPTIONS):
            earned = grade([item], {"q": chosen}, PASS, partial_credit=True).score
            assert earned == (2 if chosen == {"o2"} else 0)


def test_the_pass_mark_is_reached_at_exactly_sixty():
    paper = [Item(f"q{n}", QuestionType.single, Decimal(10), frozenset({"a"})) for n in range(10)]
    six_right = {f"q{n}": {"a"} for n in range(6)}
    five_right = {f"q{n}": {"a"} for n in range(5)}
    assert grade(paper, six_right, PASS).passed
    assert grade(paper, six_right, PASS).score == 60
    assert not grade(paper, five_right, PASS).passed


def test_answers_to_questions_not_on_the_paper_and_foreign_options_earn_nothing():
    paper = [Item("q1", QuestionType.single, Decimal(50), frozenset({"a"})),
             Item("q2", QuestionType.multiple, Decimal(50), frozenset({"b", "c"}))]
    result = grade(paper, {"elsewhere": {"a"}, "q1": {"a", "x"}, "q2": {"b", "c", "z"}}, PASS)
    assert result.score == 0 and [m.right for m in result.marks] == [False, False]


# --- properties over random papers ------------------------------------------------------------

ids = st.sampled_from([f"o{n}" for n in range(8)])
items = st.builds(
    lambda n, kind, points, correct: Item(f"q{n}", kind, Decimal(points), frozenset(correct)),
    st.integers(0, 10**6), st.sampled_from(list(QuestionType)), st.integers(1, 10),
    st.sets(ids, min_size=1, max_size=4),
)
papers = st.lists(items, min_size=1, max_size=12, unique_by=lambda item: item.key)
answer_sets = st.dictionaries(st.text(min_size=1, max_size=8), st.sets(ids, max_size=8))


@given(papers, answer_sets, st.booleans())
def test_the_score_is_between_nothing_and_the_total(paper, answers, partial):
    answers = {**answers, **{item.key: set(item.correct) for item in paper[::2]}}
    result = grade(paper, answers, PASS, partial_credit=partial)
    assert 0 <= result.score <= result.total == sum(item.points for item in paper)
    assert result.score == sum(m.earned for m in result.marks)


@given(papers, st.booleans())
def test_every_answer_right_is_full_marks_and_none_is_zero(paper, partial):
    perfect = grade(paper, {item.key: item.correct for item in paper}, PASS, partial_credit=partial)
    assert perfect.score == perfect.total and all(m.right for m in perfect.marks)
    blank = grade(paper, {}, PASS, partial_credit=partial)
    assert blank.score == 0 and blank.passed == (PASS <= 0)


@given(papers, answer_sets, st.permutations([f"o{n}" for n in range(8)]))
def test_renaming_the_options_changes_no_grade(paper, answers, renamed):
    rename = dict(zip([f"o{n}" for n in range(8)], renamed, strict=True))
    answers = {**answers, **{item.key: set(item.correct) for item in paper[1::2]}}
    before = grade(paper, answers, PASS, partial_credit=True)
    moved = [Item(i.key, i.type, i.points, frozenset(rename[o] for o in i.correct)) for i in paper]
    after = grade(moved, {k: {rename.get(o, o) for o in v} for k, v in answers.items()}, PASS,
                  partial_credit=True)
    assert before == after


@given(papers, answer_sets, ids)
def test_adding_a_wrong_option_never_raises_a_score(paper, answers, extra):
    answers = {**answers, **{item.key: set(item.correct) for item in paper}}
    before = grade(paper, answers, PASS, partial_credit=True)
    worse = {k: v | {extra} for k, v in answers.items()}
    assert grade(paper, worse, PASS, partial_credit=True).score <= before.score
