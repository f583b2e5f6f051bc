"""One or two real command lines at the end of every command's `--help`.

Kept apart from the commands so that each help text stays a sentence and the examples can be
checked in one place (tests parse every one of them against the real command line).
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, tuple[str, ...]] = {
    "today": ("followup today", "followup today --owner 小李 --limit 10"),
    "log": (
        'followup log C001 reached --note "要报价" --score 5',
        "followup log 13900139002 no-answer --channel phone",
    ),
    "review": ("followup review", "followup review --owner 小李 --limit 20"),
    "templates": ("followup templates", "followup templates reset vip"),
    "templates set": ("followup templates set vip '{name}您好，欢迎再来。'",),
    "templates reset": ("followup templates reset vip", "followup templates reset"),
    "segments": ("followup segments", "followup segments --format csv"),
    "forecast": ("followup forecast --horizon 3m", "followup forecast --backtest --holdout 90d"),
    "tiers": ("followup tiers suggest", "followup tiers suggest --apply"),
    "tiers suggest": ("followup tiers suggest", "followup tiers suggest --apply"),
    "undo": ("followup undo", "followup undo --contact 42"),
    "show": ("followup show C001", "followup show 13800138001 --format json"),
    "find": ("followup find 9002", "followup find 王"),
    "add": (
        'followup add 陈静 --phone "139 1234 5678" --tier vip',
        "followup add 王伟 --id C100 --email ww@shop.cn",
    ),
    "edit": (
        "followup edit C007 --tier vip",
        'followup edit C007 --phone "135 0013 5099" --notes ""',
    ),
    "merge": ("followup merge C007 C040", "followup merge C007 C040 --yes"),
    "report": (
        "followup report --month 2026-10 --by owner --by tier",
        "followup report --year 2026 --by month --excel -o y.csv",
    ),
    "import": ("followup import customers 客户.csv", "followup import purchases 销售.csv"),
    "import customers": (
        "followup import customers 客户.xlsx --save-profile 收银",
        "followup import customers 收银.csv --profile 收银 -q",
    ),
    "import purchases": (
        "followup import purchases 销售.csv",
        "followup import purchases 订单.csv --map '买家=phone'",
    ),
    "imports": ("followup imports", "followup imports undo 7"),
    "imports undo": ("followup imports undo 7",),
    "export": ("followup export customers -o customers.csv", "followup export due --format ics"),
    "export customers": (
        "followup export customers -o customers.csv",
        "followup export customers --format json",
    ),
    "export history": ("followup export history -o history.csv",),
    "export customer": ("followup export customer C001 -o C001.json",),
    "export due": (
        "followup export due --days 14",
        "followup export due --format ics -o 回访.ics",
    ),
    "forget": ("followup forget C001",),
    "backup": ("followup backup ~/followup-backup.db",),
    "restore": ("followup restore ~/followup-backup.db",),
    "doctor": ("followup doctor", "followup doctor --format json"),
    "transfer": (
        "followup transfer --to postgresql://hq.lan/shop",
        "followup transfer --from postgresql://hq.lan/shop",
    ),
    "rules": ("followup rules", "followup rules set vip --every 2w"),
    "rules set": (
        "followup rules set vip --every 2w",
        "followup rules set 批发 --every 6w --grace 2w",
    ),
    "rules option": (
        "followup rules option closed_weekdays sun",
        "followup rules option holidays CN",
    ),
    "rules reset": ("followup rules reset",),
    "rules levels": ("followup rules levels", "followup rules levels set 铂金卡 vip"),
    "rules levels set": (
        "followup rules levels set 铂金卡 vip",
        "followup rules levels set 钻石卡 vip",
    ),
    "rules levels remove": ("followup rules levels remove 铂金卡",),
    "snooze": (
        "followup snooze C001 --until +2w",
        'followup snooze C001 --until 2026-12-01 --note "出差"',
    ),
    "assign": ("followup assign C001 --owner 小李",),
    "optout": ("followup optout C001", "followup optout C001 --undo"),
    "reactivate": ("followup reactivate C001", "followup reactivate C001 --date 2026-11-20"),
    "plan": ("followup plan --spread 14d", "followup plan --spread 2w --capacity 15"),
    "upcoming": ("followup upcoming", "followup upcoming --days 14 --format csv"),
    "at-risk": ("followup at-risk", "followup at-risk --format csv"),
    "staff": ("followup staff", "followup staff --format csv"),
    "staff set": ("followup staff set 小李 --branch 浦东店",),
}

# Shown too in a chain's help (a single shop never reads the word branch in help).
CHAIN_EXAMPLES: dict[str, tuple[str, ...]] = {
    "today": ("followup today --branch 浦东店 --owner 小李",),
    "review": ("followup review --branch 浦东店",),
    "report": ("followup report --month 2026-10 --by branch",),
    "add": ("followup add 林欣 --phone 13900139026 --branch 浦东店",),
    "edit": ("followup edit C007 --branch 徐汇店",),
    "export customers": ("followup export customers --branch 浦东店 -o 浦东.csv",),
    "export history": ("followup export history --branch 浦东店 -o 浦东回访.csv",),
    "export due": ("followup export due --branch 浦东店 --format ics",),
    "upcoming": ("followup upcoming --branch 浦东店",),
}


# Command groups: typed alone, they print their help.
_GROUPS = frozenset({"import", "export", "imports", "rules", "levels", "templates", "tiers"})


def wants_help(argv: Any) -> bool:
    """Whether this command line may print help: only then are the examples worth attaching
    (the morning `today` should not pay for them)."""
    words = [str(word) for word in argv or ()]
    return not words or "--help" in words or "-h" in words or words[-1] in _GROUPS


def add_examples(group: Any, prefix: str = "", chain: bool = False) -> None:
    """Put each command's examples after its options in `--help` (`\\b`: keep the lines);
    a chain's help shows its branch examples too."""
    from followup_cli.i18n import _

    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        examples = EXAMPLES.get(path, ()) + (CHAIN_EXAMPLES.get(path, ()) if chain else ())
        if examples and not command.epilog:
            lines = "\n".join(f"  {example}" for example in examples)
            command.epilog = f"\b\n{_('Examples:')}\n{lines}"
        if hasattr(command, "commands"):
            add_examples(command, f"{path} ", chain)
