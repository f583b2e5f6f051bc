"""Simplified Chinese (简体中文): the English message -> its translation."""

MESSAGES: dict[str, str] = {
    "Whom to call today, what happened, and how the shop is doing.": "今天该回访谁、结果如何、店铺经营得怎样。",
    # --- Safety round two: backups, restore, encodings, files, privacy ---
    "could not write the backup {target} ({reason}); the file already there is unchanged": (
        "无法写入备份 {target}（{reason}）；原有文件未被改动"
    ),
    "could not write the backup {target} ({reason})": "无法写入备份 {target}（{reason}）",
    "cannot write in {folder}: {reason}": "无法在 {folder} 中写入：{reason}",
    "{file} is not a followup database ({reason})": "{file} 不是 followup 数据库（{reason}）",
    "too many copies named {name}": "名为 {name} 的副本太多",
    "file is UTF-8 except for {count} stray byte(s), on line(s) {lines}: fix those lines "
    "(re-type the names there), or name the file's encoding with --encoding": (
        "文件是 UTF-8 编码，但有 {count} 个无法识别的字节，位于第 {lines} 行：请修正这些行"
        "（重新输入其中的姓名），或用 --encoding 指明文件编码"
    ),
    "{file} ({encoding}): dry run, nothing written: read {read}, added {added}, updated "
    "{updated}, unchanged {unchanged}, rejected {rejected}": (
        "{file}（{encoding}）：试运行，未写入：读取 {read}，新增 {added}，更新 {updated}，"
        "未变 {unchanged}，拒绝 {rejected}"
    ),
    "{file} ({encoding}): read {read}, added {added}, updated {updated}, unchanged "
    "{unchanged}, rejected {rejected} (nothing written: --strict)": (
        "{file}（{encoding}）：读取 {read}，新增 {added}，更新 {updated}，未变 {unchanged}，"
        "拒绝 {rejected}（未写入：--strict）"
    ),
    "{file} ({encoding}): read {read}, added {added}, updated {updated}, unchanged "
    "{unchanged}, rejected {rejected}": (
        "{file}（{encoding}）：读取 {read}，新增 {added}，更新 {updated}，未变 {unchanged}，"
        "拒绝 {rejected}"
    ),
    "{customer_id} {name} is erased from the customer list, but another program is reading "
    "the database, so their old details stay in the file's bytes for now: run any followup "
    "command once that program has finished, and they are scrubbed": (
        "{customer_id} {name} 已从客户名单中删除，但另一个程序正在读取数据库，其旧资料暂时仍留在"
        "文件字节中：等该程序结束后运行任意一条 followup 命令，即可将其彻底清除"
    ),
    "Also erased from the copy kept by restore: {file}": "已一并从恢复时保留的副本中删除：{file}",
    "Could not erase them from the copy {file}: delete it": "无法从副本 {file} 中删除：请删除该文件",
    "The backup {file} may still hold them: erase there with "
    "'followup --db {file} forget {customer_id} --yes', or delete it": (
        "备份 {file} 中可能仍有此人资料：请用 'followup --db {file} forget {customer_id} --yes' "
        "在其中删除，或删除该备份"
    ),
    "{path} is a folder: give a file name": "{path} 是文件夹：请给出文件名",
    "folder {folder} does not exist": "文件夹 {folder} 不存在",
    "the import is done as summarised above, but the rejected rows could not be written to "
    "{file} ({reason})": "导入已按上面的汇总完成，但被拒绝的行无法写入 {file}（{reason}）",
    "{path} is another application's database, not a followup one: nothing was changed "
    "(give followup a file of its own with --db)": (
        "{path} 是其他应用的数据库，不是 followup 的：未做任何改动（请用 --db 给 followup 一个专用文件）"
    ),
    "the database file is damaged ({detail}): nothing was written. See 'followup doctor', "
    "then restore a backup with 'followup restore FILE'": (
        "数据库文件已损坏（{detail}）：未写入任何内容。请查看 'followup doctor'，"
        "然后用 'followup restore 文件' 恢复备份"
    ),
}
