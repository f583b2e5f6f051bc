"""Benchmark: imports of files laid out as shops' systems really export them, each beside the
`sqlite3` shell's `.import` of the same file in the same run.

    python bench/real_files.py              # every file below (several minutes on 2 cores)
    python bench/real_files.py --only xlsx  # the measures whose name holds this
    python bench/real_files.py --repeat 5

The files are generated with invented people into bench/out/real/: a 美团-style member export
(UTF-8 with BOM, 14 columns, birthdays on a third of the rows) of 20 000 and 100 000 members,
the same 20 000 as the `.xlsx` the back office writes (title rows above the header), a Shopify
customers export, and 100 000 purchases matched by phone, as a Chinese POS sales file (one row
a receipt) and as Shopify orders. Prints medians and ratios with the load average beside them
and writes bench/out/real_files.json. Timings live here, never in a pass/fail test.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ENV, FOLLOWUP, GIVEN, SURNAMES, fresh, timed

HERE = Path(__file__).resolve().parent
WORK = HERE / "out" / "real"
AS_OF = "2025-11-01"
LEVELS = ("普通会员", "普通会员", "普通会员", "银卡会员", "金卡会员", "钻石会员")
STORES = ("人民路店", "解放路店", "万达店")
MEMBER_HEADER = [
    "会员ID", "会员卡号", "姓名", "性别", "手机号", "生日", "会员等级", "入会时间",
    "累计消费金额(元)", "消费次数", "最后消费时间", "储值余额", "积分", "所属门店",
]  # fmt: skip


def _phone(i: int) -> str:
    return f"1{'3578'[i % 4]}{i:09d}"


def members(count: int, seed: int = 5) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        joined = date(2019, 1, 1) + timedelta(days=rng.randrange(2000))
        last = joined + timedelta(days=rng.randrange(max(1, (date(2025, 10, 31) - joined).days)))
        birthday = (
            f"{rng.randrange(1960, 2006)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            if i % 3 == 0
            else ""
        )
        visits = rng.randrange(1, 40)
        rows.append(
            [
                f"{800000 + i}",
                f"VIP{i:08d}",
                rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 2 else ""),
                "女" if i % 3 else "男",
                _phone(i),
                birthday,
                rng.choice(LEVELS),
                f"{joined.isoformat()} {rng.randrange(9, 22):02d}:{rng.randrange(60):02d}:00",
                f"{visits * rng.randrange(30, 400)}.00",
                str(visits),
                f"{last.isoformat()} {rng.randrange(9, 22):02d}:{rng.randrange(60):02d}:00",
                f"{rng.randrange(0, 500)}.00",
                str(rng.randrange(0, 5000)),
                rng.choice(STORES),
            ]
        )
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]], bom: bool = True) -> Path:
    if not path.exists():
        with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(header)
            out.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """As a Chinese back office writes it: a title, the export time, a blank row, the header."""
    if path.exists():
        return path
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("会员列表")
    sheet.append(["会员资料导出"])
    sheet.append([f"导出时间：{AS_OF} 09:30:00"])
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def pos_sales(count: int, members_count: int, seed: int = 9) -> list[list[str]]:
    """One row a receipt; a few refunds, voids and walk-in sales, as a till writes them."""
    rng = random.Random(seed)
    end = datetime.fromisoformat(f"{AS_OF} 21:00:00")
    rows = []
    for n in range(count):
        when = end - timedelta(minutes=rng.randrange(60 * 24 * 365))
        walk_in = n % 25 == 0
        member = rng.randrange(members_count)
        status = "已退货" if n % 97 == 0 else ("作废" if n % 211 == 0 else "已完成")
        rows.append(
            [
                f"XS{when:%Y%m%d}{n:06d}",
                when.strftime("%Y-%m-%d %H:%M:%S"),
                "" if walk_in else _phone(member),
                "散客" if walk_in else f"VIP{member:08d}",
                f"{rng.randrange(10, 900)}.{rng.randrange(100):02d}",
                status,
                rng.choice(STORES),
            ]
        )
    return rows


POS_HEADER = ["单据号", "销售时间", "会员手机号", "会员卡号", "实收金额", "单据状态", "门店"]
SHOPIFY_CUSTOMER_HEADER = [
    "Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing",
    "Default Address Company", "Default Address Address1", "Default Address Address2",
    "Default Address City", "Default Address Province Code", "Default Address Country Code",
    "Default Address Zip", "Default Address Phone", "Phone", "Accepts SMS Marketing",
    "Total Spent", "Total Orders", "Note", "Tax Exempt", "Tags",
]  # fmt: skip
SHOPIFY_ORDER_HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Currency",
    "Subtotal", "Total", "Created at", "Lineitem quantity", "Lineitem name", "Billing Name",
    "Billing Phone", "Phone",
]  # fmt: skip


def shopify_customers(count: int, seed: int = 13) -> list[list[str]]:
    rng = random.Random(seed)
    first = ("Ava", "Liam", "Mia", "Noah", "Zoe", "芳", "伟", "静")
    last = ("Smith", "Chen", "Garcia", "Wong", "王", "李", "Brown")
    return [
        [
            f"{7000000000 + i}",
            rng.choice(first),
            rng.choice(last),
            f"buyer{i}@example.com",
            rng.choice(("yes", "no")),
            "",
            f"{rng.randrange(1, 999)} Main St",
            "",
            "Toronto",
            "ON",
            "CA",
            "M5V 2T6",
            "",
            f"'+1416555{i % 10000:04d}" if i % 2 else "",
            "no",
            f"{rng.randrange(0, 2000)}.00",
            str(rng.randrange(0, 20)),
            "",
            "no",
            rng.choice(("", "VIP", "wholesale")),
        ]
        for i in range(count)
    ]


def shopify_orders(count: int, customers: int, seed: int = 17) -> list[list[str]]:
    rng = random.Random(seed)
    end = datetime.fromisoformat(f"{AS_OF} 12:00:00")
    rows = []
    for n in range(count):
        when = end - timedelta(minutes=rng.randrange(60 * 24 * 365))
        stamp = when.strftime("%Y-%m-%d %H:%M:%S -0500")
        buyer = rng.randrange(customers)
        status = "refunded" if n % 83 == 0 else "paid"
        rows.append(
            [
                f"#{1001 + n}",
                f"buyer{buyer}@example.com",
                status,
                stamp,
                "fulfilled",
                "CAD",
                f"{rng.randrange(10, 300)}.00",
                f"{rng.randrange(10, 300)}.00",
                stamp,
                "1",
                "Tea sampler",
                "Ava Smith",
                "",
                "",
            ]
        )
    return rows


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--only", action="append", default=[], help="measures holding this")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    shell = shutil.which("sqlite3")
    if shell is None:
        raise SystemExit("the sqlite3 shell is needed as the reference")
    results: list[dict] = []

    def wanted(name: str) -> bool:
        return not args.only or any(word in name for word in args.only)

    def shell_import(path: Path) -> float:
        target = WORK / "shell.db"
        return timed([shell, str(target), f".import --csv {path} t"], args.repeat,
                     before=lambda _: fresh(target))  # fmt: skip

    def record(name: str, seconds: float, reference: str, ref_seconds: float) -> None:
        row = {
            "measure": name,
            "seconds": round(seconds, 3),
            "reference": reference,
            "reference_seconds": round(ref_seconds, 3),
            "ratio": round(seconds / ref_seconds, 1),
            "load_average": load_average(),
        }
        results.append(row)
        print(f"{name:<52} {seconds:7.2f}s {row['ratio']:7.1f}x {reference:<28} "
              f"load {row['load_average']}", flush=True)  # fmt: skip

    def followup(db: Path, kind: str, path: Path) -> list[str]:
        return [*FOLLOWUP, "--db", str(db), "import", kind, str(path), "--date", AS_OF, "-q"]

    def first_and_again(name: str, kind: str, path: Path, reference: float, base: Path | None):
        """A first import into a fresh shop (or a copy of `base`), then the same file again."""
        db, again, kept = WORK / "first.db", WORK / "again.db", WORK / "kept.db"

        def start(target: Path) -> None:
            fresh(target)
            if base is not None:
                shutil.copyfile(base, target)

        first = timed(lambda _: followup(db, kind, path), args.repeat, before=lambda _: start(db))
        record(f"{name}, first import", first, "sqlite3 .import", reference)
        fresh(kept)
        shutil.copyfile(db, kept)
        nightly = timed(
            lambda _: followup(again, kind, path),
            args.repeat,
            before=lambda _: (fresh(again), shutil.copyfile(kept, again)),
        )
        record(f"{name}, again unchanged (nightly)", nightly, "sqlite3 .import", reference)
        return first, kept

    print(f"{os.cpu_count()} cores; medians of {args.repeat} runs; load {load_average()}")
    m100 = members(100_000)
    m20 = m100[:20_000]
    csv100 = write_csv(WORK / "members-100000.csv", MEMBER_HEADER, m100)
    csv20 = write_csv(WORK / "members-20000.csv", MEMBER_HEADER, m20)
    xlsx20 = write_xlsx(WORK / "members-20000.xlsx", MEMBER_HEADER, m20)
    shop100 = None
    if wanted("member CSV 100k") or wanted("purchases"):
        _, shop100 = first_and_again(
            "member CSV 100k (美团-style, 14 columns)", "customers", csv100, shell_import(csv100),
            None,
        )  # fmt: skip
        shutil.copyfile(shop100, WORK / "members-100000.db")
        shop100 = WORK / "members-100000.db"
    if wanted("member CSV 20k") or wanted("xlsx"):
        csv_seconds, _ = first_and_again(
            "member CSV 20k", "customers", csv20, shell_import(csv20), None
        )
        xlsx_db = WORK / "xlsx.db"
        xlsx_seconds = timed(
            lambda _: followup(xlsx_db, "customers", xlsx20),
            args.repeat,
            before=lambda _: fresh(xlsx_db),
        )
        record("member .xlsx 20k (title rows), first import", xlsx_seconds,
               "the same rows as CSV", csv_seconds)  # fmt: skip
        kept = WORK / "xlsx-kept.db"
        fresh(kept)
        shutil.copyfile(xlsx_db, kept)
        again = WORK / "xlsx-again.db"
        nightly = timed(
            lambda _: followup(again, "customers", xlsx20),
            args.repeat,
            before=lambda _: (fresh(again), shutil.copyfile(kept, again)),
        )
        record("member .xlsx 20k, again unchanged (nightly)", nightly,
               "sqlite3 .import of its CSV", shell_import(csv20))  # fmt: skip
    if wanted("Shopify customers"):
        path = write_csv(WORK / "shopify-customers-20000.csv", SHOPIFY_CUSTOMER_HEADER,
                         shopify_customers(20_000), bom=False)  # fmt: skip
        first_and_again("Shopify customers 20k", "customers", path, shell_import(path), None)
    if wanted("purchases") and shop100 is not None:
        pos = write_csv(WORK / "pos-sales-100000.csv", POS_HEADER, pos_sales(100_000, 100_000))
        try:
            first_and_again("purchases: POS sales 100k into 100k members", "purchases", pos,
                            shell_import(pos), shop100)  # fmt: skip
        except SystemExit as refused:
            print(f"purchases: POS sales 100k: refused ({refused})"[:300])
    if wanted("Shopify orders"):
        customers_file = write_csv(WORK / "shopify-customers-20000.csv", SHOPIFY_CUSTOMER_HEADER,
                                   shopify_customers(20_000), bom=False)  # fmt: skip
        base = WORK / "shopify-shop.db"
        fresh(base)
        import subprocess

        subprocess.run(followup(base, "customers", customers_file), env=ENV, check=True,
                       stderr=subprocess.DEVNULL)  # fmt: skip
        orders = write_csv(WORK / "shopify-orders-100000.csv", SHOPIFY_ORDER_HEADER,
                           shopify_orders(100_000, 20_000), bom=False)  # fmt: skip
        first_and_again("purchases: Shopify orders 100k into 20k customers", "purchases",
                        orders, shell_import(orders), base)  # fmt: skip
    (HERE / "out" / "real_files.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
