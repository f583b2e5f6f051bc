"""Simplified Chinese (简体中文): the English message -> its translation."""

MESSAGES: dict[str, str] = {
    "Whom to call today, what happened, and how the shop is doing.": "今天该回访谁、结果如何、店铺经营得怎样。",
    # Everyday commands: undo, add, edit, merge, find, timeline
    "Nothing has been logged yet: there is nothing to undo.": "还没有登记过任何回访，没有可撤销的内容。",
    "No contact {contact_id} (see the ids in 'followup show').": "没有编号为 {contact_id} 的回访记录（编号见 'followup show'）。",
    "Contact {contact_id} is a snooze, not a logged contact: snooze {ref} again to move the follow-up.": "记录 {contact_id} 是一次推迟，不是回访登记：要改期，请对 {ref} 重新推迟。",
    "Cannot undo contact {contact_id}: {ref}'s follow-up was snoozed after it (on {date}).": "无法撤销回访 {contact_id}：{ref} 的回访在此之后（{date}）被推迟过。",
    "Cannot undo contact {contact_id}: {ref} has a later entry ({outcome} on {date}, contact {later_id}); undo that one first.": "无法撤销回访 {contact_id}：{ref} 之后还有一条记录（{date} {outcome}，编号 {later_id}），请先撤销那一条。",
    "Contact {contact_id} was logged by an older version of followup, which kept no record of what it changed: it cannot be undone.": "回访 {contact_id} 是旧版 followup 登记的，当时没有记下改动内容，无法撤销。",
    "Cannot undo contact {contact_id}: {ref}'s follow-up of {day} has been snoozed, re-planned or logged since.": "无法撤销回访 {contact_id}：{ref} 在 {day} 的回访之后已被推迟、重新安排或登记。",
    "Cannot undo contact {contact_id}: {ref} was changed since it was logged (by an edit, an import or a merge).": "无法撤销回访 {contact_id}：登记之后 {ref} 的资料已被修改（编辑、导入或合并）。",
    "Cannot undo contact {contact_id}: {ref}'s purchases changed since it was logged.": "无法撤销回访 {contact_id}：登记之后 {ref} 的购买记录有变化。",
    "Undid contact {contact_id}: {outcome} for {ref} {name} on {date}.": "已撤销回访 {contact_id}：{ref} {name} 于 {date} 的 {outcome}。",
    "No longer planned: {day}.": "已取消计划：{day}。",
    "Next: {day} ({reason}).": "下次：{day}（{reason}）。",
    "Nothing is planned.": "没有安排回访。",
    # Daily use: periods counted up to the report date
    "Report {start} to {end} (as of {as_of}): not begun yet, no data": "报告 {start} 至 {end}（截至 {as_of}）：尚未开始，没有数据",
    "Report {start} to {end}, counted up to {as_of}: the days after it have not happened yet": "报告 {start} 至 {end}，统计到 {as_of}：之后的日子还没有到",
    "The period has not begun: there is no data yet.": "这个时段还没有开始，暂无数据。",
    "Counted up to {day}: the days after it have not happened yet.": "统计到 {day}：之后的日子还没有到。",
}
