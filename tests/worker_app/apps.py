import os
import time

from django.apps import AppConfig


class WorkerAppConfig(AppConfig):
    name = "tests.worker_app"
    label = "test_worker_app"

    def ready(self) -> None:
        from core import exports

        @exports.register
        class SlowExporter(exports.Exporter):
            key = "test-slow"
            label = "测试用慢导出"

            def run(self, user, params, progress):
                steps = int(params.get("steps", 40))
                for step in range(steps):
                    progress(round(step * 100 / steps), f"pid {os.getpid()}")
                    time.sleep(0.1)
                return exports.ExportResult(
                    f"built by {os.getpid()} for {user.username}".encode(),
                    "slow.txt",
                    "text/plain",
                )
