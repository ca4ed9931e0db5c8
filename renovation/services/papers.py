"""The signed scan of a printed form (renovation/paper.py), uploaded back on its step."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from core.audit import attributed
from core.errors import DomainError, RoleRefused
from core.locking import save_versioned
from core.rules import has_role
from core.uploads import DOCUMENT_TYPES, files_removed_on_error, store_upload
from renovation.models import RenovationProject, SignedPaper
from renovation.paper import PAPERS
from renovation.services._common import _lock, _validate_file


@attributed
def signed_paper_upload(*, project: RenovationProject, by: User, kind: str, file) -> SignedPaper:
    """File the signed and stamped form `kind`; a later upload of the same form replaces it
    in the archive (the earlier one stays in the history)."""

    paper = PAPERS.get(kind)
    if paper is None:
        raise DomainError("没有这种表格。")
    if not has_role(by, paper.roles):
        raise RoleRefused(f"您的角色无权上传{paper.title}的签字扫描件。")
    info = _validate_file(file, allowed=DOCUMENT_TYPES, label=f"{paper.title}签字扫描件")
    with transaction.atomic(), files_removed_on_error() as stored:
        project = _lock(project, by)
        scan = SignedPaper(
            project=project, kind=kind, uploaded_by=by, content_type=info.content_type
        )
        store_upload(scan, "file", file, info, stored)
        scan.save()
        save_versioned(project)
    return scan
