"""Simplified Chinese (简体中文): the English message -> its translation."""

MESSAGES: dict[str, str] = {
    "Whom to call today, what happened, and how the shop is doing.": "今天该回访谁、结果如何、店铺经营得怎样。",
}
