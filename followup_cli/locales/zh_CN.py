"""Simplified Chinese (简体中文): the English message -> its translation."""

MESSAGES: dict[str, str] = {
    "Whom to call today, what happened, and how the shop is doing.": "今天该回访谁、结果如何、店铺经营得怎样。",
    # Daily use: periods counted up to the report date
    "Report {start} to {end} (as of {as_of}): not begun yet, no data": "报告 {start} 至 {end}（截至 {as_of}）：尚未开始，没有数据",
    "Report {start} to {end}, counted up to {as_of}: the days after it have not happened yet": "报告 {start} 至 {end}，统计到 {as_of}：之后的日子还没有到",
    "The period has not begun: there is no data yet.": "这个时段还没有开始，暂无数据。",
    "Counted up to {day}: the days after it have not happened yet.": "统计到 {day}：之后的日子还没有到。",
    # Daily use: which database
    "followup: created a new, empty database at {path}": "followup：已在 {path} 新建一个空数据库",
    "give a database file name, not an empty one": "请给出数据库文件名，不能为空",
    "Database file (as --db before the command).": "数据库文件（与写在命令前的 --db 相同）。",
    # Daily use: logging
    "a contact cannot be logged for {day}: that is after today ({today})": "不能登记 {day} 的联系：那天在今天（{today}）之后",
    "{who} already has {outcome} logged on {day}. Log it again?": "{who} 在 {day} 已登记过 {outcome}。再登记一次吗？",
    "{who} already has {outcome} logged on {day}: add --again to log a second one": "{who} 在 {day} 已登记过 {outcome}：要再登记一次请加 --again",
    "nothing logged": "没有登记任何内容",
    "no customer is followed up by {owner!r} (owners: {known})": "没有客户由 {owner!r} 负责回访（负责人：{known}）",
}
