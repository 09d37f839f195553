"""Exams: question banks, import/export, papers, attempts and grading. Built from issue 5 on."""
