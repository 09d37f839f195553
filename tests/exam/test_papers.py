"""Drawing papers (rules §5): a fresh random paper per attempt, by the exam's counts per type,
frozen with the attempt; what the learner sees never tells the answer."""

import random
import statistics
import time
from collections import Counter
from decimal import Decimal

import pytest

from lms.exam import papers
from lms.exam.grading import grade
from lms.exam.papers import Candidate, NotEnough, Rule
from lms.exam.questions import Draft, QuestionType, true_false

SINGLE, MULTIPLE, TF = QuestionType.single, QuestionType.multiple, QuestionType.true_false


def bank(n_single=30, n_multiple=20, n_tf=20, bank_id=1, start=0, tags=()):
    pool, n = [], start
    for _ in range(n_single):
        n += 1
        pool.append(Candidate(n, bank_id, Draft(SINGLE, f"单选{n}", ("甲", "乙", "丙", "丁"),
                                                frozenset({n % 4}), tags=tags)))
    for _ in range(n_multiple):
        n += 1
        pool.append(Candidate(n, bank_id, Draft(MULTIPLE, f"多选{n}", ("甲", "乙", "丙", "丁"),
                                                frozenset({0, 1 + n % 3}), tags=tags)))
    for _ in range(n_tf):
        n += 1
        pool.append(Candidate(n, bank_id, true_false(f"判断{n}", n % 2 == 0)))
    return pool


RULES = [Rule(SINGLE, 20, Decimal(2), (1,)), Rule(MULTIPLE, 10, Decimal(4), (1,)),
         Rule(TF, 10, Decimal(2), (1,))]


def test_a_paper_has_the_counts_per_type_and_the_total_of_the_rules():
    paper = papers.draw(RULES, bank(), random.Random(1))
    assert Counter(q.type for q in paper) == {SINGLE: 20, MULTIPLE: 10, TF: 10}
    assert papers.total(RULES) == 100 == sum(q.points for q in paper)
    assert len({q.question_id for q in paper}) == 40


def test_each_attempt_draws_afresh_with_new_option_ids():
    first = papers.draw(RULES, bank(), random.Random(1))
    second = papers.draw(RULES, bank(), random.Random(2))
    assert [q.question_id for q in first] != [q.question_id for q in second]
    ids = {option_id for q in first for option_id, _ in q.options}
    assert not ids & {option_id for q in second for option_id, _ in q.options}


def test_the_learners_view_carries_no_answer_and_no_telling_order():
    rng = random.Random(7)
    where_right = Counter()
    for _ in range(400):
        paper = papers.draw([Rule(SINGLE, 5, Decimal(20), (1,))], bank(30, 0, 0), rng)
        shown = papers.public(paper)
        assert all(set(q) == {"key", "type", "stem", "points", "options"} for q in shown)
        for question, view in zip(paper, shown, strict=True):
            ids = [o["id"] for o in view["options"]]
            where_right[ids.index(next(iter(question.correct)))] += 1
    # The right option stands anywhere: each of the 4 places holds it about a quarter of the time.
    assert all(400 < where_right[place] < 600 for place in range(4)), where_right


def test_the_paper_kept_with_the_attempt_reads_back_the_same():
    paper = papers.draw(RULES, bank(), random.Random(3))
    assert papers.from_json(papers.to_json(paper)) == paper


def test_perfect_answers_to_a_drawn_paper_score_full_marks():
    paper = papers.draw(RULES, bank(), random.Random(4))
    result = grade([q.item() for q in paper], {q.key: q.correct for q in paper}, Decimal(60))
    assert result.score == 100 and result.passed


def test_too_few_questions_are_named_per_type_and_nothing_is_drawn():
    rules = [*RULES, Rule(SINGLE, 15, Decimal(1), (1,))]  # the first rule leaves 10 single
    assert papers.shortfalls(rules, bank()) == ["单选题需要 15 道，题库中只有 10 道"]
    with pytest.raises(NotEnough):
        papers.draw(rules, bank(), random.Random(5))


def test_rules_draw_only_from_their_banks_and_tags():
    pool = bank(10, 0, 0, bank_id=1, tags=("法规",)) + bank(10, 0, 0, bank_id=2, start=100)
    paper = papers.draw([Rule(SINGLE, 10, Decimal(10), (1, 2), ("法规",))], pool,
                        random.Random(6))
    assert {q.question_id for q in paper} == set(range(1, 11))


def test_options_keep_their_order_when_shuffling_is_off_and_true_false_always_does():
    paper = papers.draw(RULES, bank(), random.Random(8), shuffle_options=False,
                        shuffle_questions=False)
    assert [q.type for q in paper] == [SINGLE] * 20 + [MULTIPLE] * 10 + [TF] * 10
    assert all([text for _, text in q.options] == ["甲", "乙", "丙", "丁"] for q in paper[:30])
    shuffled = papers.draw(RULES, bank(), random.Random(8))
    assert all([text for _, text in q.options] == ["正确", "错误"]
               for q in shuffled if q.type is TF)


def test_fifty_questions_are_drawn_from_five_thousand_in_well_under_twenty_milliseconds():
    pool = bank(2500, 1500, 1000)
    rules = [Rule(SINGLE, 25, Decimal(2), (1,)), Rule(MULTIPLE, 15, Decimal(2), (1,)),
             Rule(TF, 10, Decimal(2), (1,))]
    rng = random.Random(9)
    took = []
    for _ in range(20):
        started = time.perf_counter()
        papers.draw(rules, pool, rng)
        took.append(time.perf_counter() - started)
    assert statistics.median(took) < 0.020
