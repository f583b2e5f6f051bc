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
    "{who} already has {outcome} logged on {day}. Log it again?": "{who} 在 {day} 已登记过 {outcome}。再登记一次吗？",
    "{who} already has {outcome} logged on {day}: add --again to log a second one": "{who} 在 {day} 已登记过 {outcome}：要再登记一次请加 --again",
    "nothing logged": "没有登记任何内容",
    "no customer is followed up by {owner!r} (owners: {known})": "没有客户由 {owner!r} 负责回访（负责人：{known}）",
    # Daily use: lost customers who come back
    "{ref} {name} is not marked lost: nothing to bring back": "{ref} {name} 没有被标记为流失：无需恢复",
    "{ref} was marked lost on {lost}: they cannot be back on {day}": "{ref} 于 {lost} 被标记为流失：不可能在 {day} 回来",
    "Customer id, or a phone, e-mail or exact name.": "客户编号，或电话、邮箱、完整姓名。",
    "The day they came back (default today).": "客户回来的日期（默认今天）。",
    "{ref} {name} is active again from {day}; next: {due} ({reason})": "{ref} {name} 自 {day} 起重新活跃；下次回访：{due}（{reason}）",
    "{ref} {name} is active again from {day}; nothing planned": "{ref} {name} 自 {day} 起重新活跃；暂无回访计划",
    "{day} is after today ({today}): only what has happened can be recorded": "{day} 在今天（{today}）之后：只能登记已经发生的事",
    "{ref} is a {tier} customer, not a prospect: 'converted' is a prospect's first purchase (bring purchases in with 'followup import purchases')": "{ref} 是 {tier} 客户，不是潜在客户：“converted”表示潜在客户的首次购买（购买记录请用 'followup import purchases' 导入）",
    "customer {ref} is marked lost (churned): 'followup reactivate {ref}' brings them back": "客户 {ref} 已标记为流失：用 'followup reactivate {ref}' 恢复",
    # Daily use: rules reset
    "Default rules restored, and the shop options too ({changes}); {replanned} follow-ups re-planned": "已恢复默认规则，店铺选项也已恢复（{changes}）；重新安排了 {replanned} 个回访",
    "Default rules restored, and the shop options too; {replanned} follow-ups re-planned": "已恢复默认规则，店铺选项也已恢复；重新安排了 {replanned} 个回访",
    # Daily use: options honoured or refused
    "{file} needs --format csv or json (or a file name ending .csv or .json)": "{file} 需要 --format csv 或 json（或以 .csv、.json 结尾的文件名）",
    "an export is csv or json, not a table": "导出只能是 csv 或 json，不能是表格",
    # Daily use: a limited morning list
    "Follow-ups due on {day}: {shown} of {total}": "{day} 应回访：{total} 个中的 {shown} 个",
    # Daily use: the first import of a neglected list
    "First import: the {backlog} calls due now are spread over {days} open days, until {last}, at most {capacity} a day (option daily_capacity), most important first; {kept} are on today's list.": "首次导入：当前到期的 {backlog} 个回访已分摊到 {days} 个营业日（至 {last}），每天最多 {capacity} 个（选项 daily_capacity），重要的优先；今天的清单上有 {kept} 个。",
    # Daily use: smaller things
    "Also the imports that changed nothing (a nightly re-import).": "也列出什么都没改变的导入（例如每晚的重复导入）。",
    "{file} is the database itself: back up to another file": "{file} 就是数据库本身：请备份到另一个文件",
    "{path} is a folder: give the backup file in it": "{path} 是一个文件夹：请给出其中的备份文件",
    "Log it even if the same outcome is already logged that day.": "即使当天已登记过相同结果也再登记一次。",
}
