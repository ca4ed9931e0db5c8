from django.core.management.base import BaseCommand, CommandError

from accounts.models import Area
from core.audit import acting_as
from rectification import selfcheck


class Command(BaseCommand):
    help = "运行系统自查（自查规则见 rectification/selfcheck/），可重复运行，不会产生重复记录。"

    def add_arguments(self, parser):
        parser.add_argument("--area", default="", help="只检查该区划代码（12位）；默认全部。")
        parser.add_argument("--rule", action="append", help="只运行指定规则（可多次指定）。")

    def handle(self, *args, area: str, rule, **options):
        prefix = ""
        if area:
            found = Area.objects.filter(pk=area).first()
            if found is None:
                raise CommandError(f"区划代码 {area} 不存在。")
            prefix = found.prefix
        unknown = [r for r in rule or [] if r not in selfcheck.RULES]
        if unknown:
            raise CommandError(f"未知的自查规则：{', '.join(unknown)}")
        with acting_as(None, command="run_selfcheck"):
            result = selfcheck.run(prefix=prefix, rules=rule)
        self.stdout.write(f"自查完成：{result.summary}")
