from django.apps import apps
from django.core.management.base import BaseCommand

from core.audit import acting_as
from core.uploads import read_photo_facts


class Command(BaseCommand):
    help = (
        "为上传时尚未记录的照片补算感知哈希，并补记 EXIF 拍摄时间和 GPS 位置（只处理尚无哈希的"
        "照片，可重复运行）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="每批读取的照片数。")

    def handle(self, *args, batch: int, **options):
        models = [apps.get_model("inspections", "Photo")]
        if apps.is_installed("renovation"):
            models.append(apps.get_model("renovation", "ProjectPhoto"))
        with acting_as(None, command="photo_fingerprints"):
            for model in models:
                done = unreadable = 0
                # Photos of every area: the command acts for the system.
                pending = model.objects.unscoped("backfill of every photo").filter(phash="")
                last = 0
                while chunk := list(pending.filter(pk__gt=last).order_by("pk")[:batch]):
                    for photo in chunk:
                        last = photo.pk
                        facts = read_photo_facts(photo.file)
                        if facts is None:
                            unreadable += 1
                            continue
                        model.objects.unscoped("backfill of one photo").filter(pk=photo.pk).update(
                            phash=facts.phash,
                            taken_at=photo.taken_at or facts.taken_at,
                            latitude=facts.latitude if photo.latitude is None else photo.latitude,
                            longitude=facts.longitude
                            if photo.longitude is None
                            else photo.longitude,
                        )
                        done += 1
                label = model._meta.verbose_name
                self.stdout.write(f"{label}：补算 {done} 张，无法读取 {unreadable} 张。")
