"""PDF documents from HTML templates (WeasyPrint), with a fetcher that cannot leave the project.

A template may carry values typed by users (names, notes). Whatever URL ends up in the HTML,
WeasyPrint may only read files below the project's `static/` directory or MEDIA_ROOT (and
inline `data:` URLs): no network, no other `file://` path. Fonts come from fontconfig
(Debian's fonts-noto-cjk), never from a URL.
"""

from __future__ import annotations

import base64
import ctypes.util
import functools
import mimetypes
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

# Named in every document's CSS. Only the Simplified Chinese faces: a generic `sans-serif`
# or `serif` lets fontconfig pick DejaVu for Latin and digits, and a lang other than
# "zh-CN" lets it pick the JP face (Japanese glyph forms) for some characters.
CJK_FONT_STACK = '"Noto Sans CJK SC", "Noto Serif CJK SC"'


# The Debian packages that provide what pdf_environment_problems() looks for.
PDF_PACKAGES = "fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0"


def _cjk_families() -> set[str] | None:
    """Font families fontconfig offers for Chinese, or None without fc-list."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    out = subprocess.run(  # noqa: S603 - fixed arguments
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    return {name.strip() for line in out.splitlines() for name in line.split(",")}


@functools.cache
def pdf_environment_problems() -> tuple[str, ...]:
    """What this machine lacks to make Chinese PDFs, in words for the page (empty when fine).

    Without the SC font Chinese comes out as boxes or in Japanese glyph forms; without
    HarfBuzz's subsetting library WeasyPrint embeds whole fonts and each PDF takes 8-10 s.
    Checked once per process: installing a package takes a restart anyway.
    """
    problems = []
    families = _cjk_families()
    if families is None or "Noto Sans CJK SC" not in families:
        problems.append(
            "未安装中文字体 Noto Sans CJK SC（fonts-noto-cjk），PDF 中的汉字会显示为方框"
        )
    if not ctypes.util.find_library("harfbuzz-subset"):
        problems.append("未安装字体子集库 libharfbuzz-subset0，每份 PDF 需要多花数秒到数分钟")
    if problems:
        problems.append(f"请系统管理员安装：apt-get install -y {PDF_PACKAGES}")
    return tuple(problems)


class FetchRefused(ValueError):
    """A document asked for a resource outside the allowed directories."""


def allowed_roots() -> list[Path]:
    return [
        (Path(settings.BASE_DIR) / "static").resolve(),
        Path(settings.MEDIA_ROOT).resolve(),
    ]


def _is_allowed_path(path: Path) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(root) for root in allowed_roots())


class RestrictedURLFetcher(URLFetcher):
    """Serves `data:` URLs and files inside static/ or MEDIA_ROOT; refuses everything else."""

    def __init__(self, **kwargs):
        kwargs["allowed_protocols"] = {"file", "data"}
        kwargs["allow_redirects"] = False
        super().__init__(**kwargs)

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise FetchRefused(f"文档不允许访问外部地址：{url[:100]}")
        parsed = urlparse(url)
        if parsed.netloc not in ("", "localhost"):
            raise FetchRefused("文档不允许访问网络文件。")
        path = Path(unquote(parsed.path))
        if not _is_allowed_path(path):
            raise FetchRefused("文档只能引用本系统的静态文件和上传文件。")
        return super().fetch(path.resolve().as_uri(), headers)


def file_url(path: str | Path) -> str:
    """A URL to embed a stored file in a document: file:// for a file on the local disk
    (e.g. `photo.file.path`), a data: URL for one in object storage (see `stored_path`)."""
    if isinstance(path, str) and path.startswith(STORED_PREFIX):
        return _data_url(path.removeprefix(STORED_PREFIX))
    return Path(path).resolve().as_uri()


# A stored file that has no local path (object storage): named by its storage name and read
# only when a document embeds it, never while a page merely lists it.
STORED_PREFIX = "storage:"


def stored_path(field_file) -> str:
    """What `file_url` embeds for `field_file`: its local path, or its name in the storage."""
    if not field_file:
        return ""
    try:
        return field_file.path
    except NotImplementedError:
        return STORED_PREFIX + field_file.name
    except ValueError:
        return ""


def _data_url(name: str) -> str:
    from django.core.files.storage import default_storage

    try:
        with default_storage.open(name, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return ""
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def render_pdf(template_name: str, context: dict | None = None) -> bytes:
    """Render a Django template to PDF bytes with the restricted fetcher."""
    context = {"cjk_font_stack": CJK_FONT_STACK, **(context or {})}
    html = render_to_string(template_name, context)
    base_url = (Path(settings.BASE_DIR) / "static").resolve().as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=RestrictedURLFetcher()).write_pdf()
