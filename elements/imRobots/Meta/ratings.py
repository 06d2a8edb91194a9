"""The four ratings a robot's final card offers, best first, and how people read them.

Stored values never change (they are in every feedback row); labels are what the feedback
page shows. A robot's own button labels come from its config (`feedbackButtons`).
"""
from __future__ import annotations

RATINGS = ("veryHelpful", "helpful", "somewhatHelpful", "notHelpful")
NEGATIVE = "notHelpful"
RATING_LABELS = {"veryHelpful": "Very helpful", "helpful": "Helpful", "somewhatHelpful": "Somewhat helpful", "notHelpful": "Not helpful"}
