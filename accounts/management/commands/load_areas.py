"""Load the area tree from a national division code list (CSV or .xlsx: code, name).

    python manage.py load_areas 统计用区划代码_山西省.csv

Levels come from the codes, parents from the code above; every row is checked first and one
bad row refuses the file with its line number (nothing is written). Loading the same file
again changes nothing, so the command is safe to re-run after a list is updated.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.area_loader import AreaFileError, load_areas, read_area_file
from core.audit import acting_as

COMMAND = "load_areas"
MAX_SHOWN = 50


class Command(BaseCommand):
    help = "从统计用区划代码表（CSV 或 xlsx：代码、名称）导入行政区划。Load the area tree."

    def add_arguments(self, parser):
        parser.add_argument("file", help="区划代码表文件（.csv 或 .xlsx）")

    def handle(self, *args, file: str, **options):
        try:
            rows = read_area_file(file)
            if not rows:
                raise CommandError("文件中没有区划数据。 The file holds no areas.")
            with acting_as(None, command=COMMAND):
                result = load_areas(rows)
        except FileNotFoundError:
            raise CommandError(f"找不到文件“{file}”。 File not found.") from None
        except AreaFileError as exc:
            shown = exc.errors[:MAX_SHOWN]
            more = len(exc.errors) - len(shown)
            lines = "\n".join(shown) + (f"\n……另有 {more} 处错误。" if more > 0 else "")
            raise CommandError(
                f"区划代码表有 {len(exc.errors)} 处错误，未导入任何区划：\n{lines}"
            ) from None
        self.stdout.write(self.style.SUCCESS(f"已导入区划代码表：{result.summary}。"))
