"""Third-party evaluation of disputed petition matters (不满意信访事项第三方评价).

Matters, applications, the evaluator pool, panels with recusal, hearing notices, polls
(electronic secret ballot or paper counts), the opinion letter, published results and the
follow-up of 不满意 matters. Reception asks ``services.satisfied_matter_refusal`` whether a
matter was closed 满意; nothing here imports reception.
"""
