"""System checks run at start-up (`runserver`, `migrate`, `check`)."""

from __future__ import annotations

from django.core.checks import Warning as CheckWarning
from django.core.checks import register

from core.pdf import pdf_environment_problems


@register()
def pdf_environment(app_configs, **kwargs):
    """Warn when PDFs would come out with boxes for Chinese or take minutes to build."""
    problems = pdf_environment_problems()
    if not problems:
        return []
    return [
        CheckWarning(
            "PDF 文档所需的系统组件缺失：" + "；".join(problems[:-1]),
            hint=problems[-1] + "（或运行 bash scripts/ensure_system_deps.sh --pdf）",
            id="anju.W001",
        )
    ]
