"""How a robot answers as its app's monthly API budget runs out (the `monthlyApiBudget` option).

A platform's API calls can be counted against a monthly allowance (DingTalk's standard
organisations: 5,000 OpenAPI calls a month; a streamed card costs one call per update). As this
month's count nears the budget a robot spends less: first its cards show only the thinking
text and the final answer, then it answers through the message's reply webhook, which costs
no API call. A budget of 0 means none.
"""
from __future__ import annotations

from enum import StrEnum

FEWER_UPDATES_AT = 0.7  # share of the budget used: cards show thinking + final only
WEBHOOK_AT = 0.9  # share of the budget used: answers go through the reply webhook


class AnswerForm(StrEnum):
    """How answers look; the robot's log and page say which one is in use."""

    STREAMING = "streaming card"
    THINKING_AND_FINAL = "thinking + final card"
    WEBHOOK = "webhook reply"  # one markdown message through the reply address


def answer_form(uses_cards: bool, budget: int, calls: int) -> AnswerForm:
    """The form for an answer given this month's calls; a robot without cards always replies by webhook."""
    if not uses_cards:
        return AnswerForm.WEBHOOK
    if budget <= 0 or calls < budget * FEWER_UPDATES_AT:
        return AnswerForm.STREAMING
    if calls < budget * WEBHOOK_AT:
        return AnswerForm.THINKING_AND_FINAL
    return AnswerForm.WEBHOOK


def why(form: AnswerForm, budget: int, calls: int) -> str:
    """The log line's reason for a change of form."""
    if budget <= 0:
        return "no monthly API budget is set"
    used = f"{calls:,} of the {budget:,} API calls of this month's budget used ({calls / budget:.0%})"
    if form is AnswerForm.STREAMING:
        return f"{used}: under {FEWER_UPDATES_AT:.0%}, cards stream again"
    if form is AnswerForm.THINKING_AND_FINAL:
        return f"{used}: from {FEWER_UPDATES_AT:.0%} cards show the thinking text and the final answer only"
    return f"{used}: from {WEBHOOK_AT:.0%} answers go through the reply webhook, which costs no API call"
