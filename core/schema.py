"""OpenAPI: document the error responses the API really gives (a drf-spectacular hook).

drf-spectacular documents the success response of each operation only. A client (and
Schemathesis in CI) must also know the refusals: bad input, no credentials, a role that may
not, another area's object, and a conflict with someone else's change.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import AllowAny

WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
HTTP_METHODS = WRITE_METHODS | {"get", "head", "options", "trace"}

ERROR_COMPONENT = "Error"
VALIDATION_ERROR_COMPONENT = "ValidationError"

_MESSAGES = {"type": "array", "items": {"type": "string"}}

COMPONENTS: dict[str, dict[str, Any]] = {
    ERROR_COMPONENT: {
        "type": "object",
        "description": "拒绝的原因（中文），可直接展示给用户。",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    VALIDATION_ERROR_COMPONENT: {
        "type": "object",
        "description": (
            "输入无效：键为字段名，值为错误信息列表（嵌套字段同样嵌套）；"
            "`non_field_errors` 为整体校验错误；`detail` 为违反的业务规则或非法字符。"
        ),
        "properties": {
            "detail": {"oneOf": [{"type": "string"}, _MESSAGES]},
            "non_field_errors": _MESSAGES,
        },
        "additionalProperties": {},
    },
}

_DESCRIPTIONS = {
    "400": "请求无效：字段或筛选条件校验失败、违反业务规则，或含非法字符（NUL）。",
    "401": "未提供或无效的身份凭证（Authorization: Token …）。",
    "403": "您的角色无权执行此操作，或账号尚未分配角色。",
    "404": "对象不存在或不在您的区划内；或页码超出范围。",
    "409": "冲突：记录已被他人修改或正在处理（版本过期），本次未做任何更改。",
    "415": "请求体的媒体类型（Content-Type）不受支持或无法解析。",
    "429": "登录失败次数过多，账号在本地址暂时锁定（django-axes 的提示页）。",
}
# django-axes answers a locked-out sign-in with its HTML page, not with JSON.
_LOCKOUT_CONTENT = {"text/html": {"schema": {"type": "string"}}}


def add_error_responses(result: dict, generator, request, public, **kwargs) -> dict:
    """POSTPROCESSING_HOOKS entry: add 400/401/403/404/409/415 where they can happen.

    Responses a view declares itself (extend_schema) are kept as they are.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, component in COMPONENTS.items():
        schemas.setdefault(name, component)

    views = _views_by_operation(generator)
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            statuses = _error_statuses(path, method, operation, views.get((path, method)))
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(
                    status, {"description": _DESCRIPTIONS[status], "content": _content(status)}
                )
            operation["responses"] = dict(sorted(responses.items()))
    return result


def _error_statuses(path: str, method: str, operation: dict, view) -> list[str]:
    # core.middleware.RejectNulBytesMiddleware answers any request with a NUL byte: 400.
    statuses = ["400"]
    signed_in = _requires_sign_in(view)
    if signed_in:
        statuses += ["401", "403"]
    paginated = any(
        p.get("in") == "query" and p.get("name") == "page" for p in operation.get("parameters", [])
    )
    if "{" in path or paginated:
        statuses.append("404")
    if signed_in and method in WRITE_METHODS:
        # Versioned edits, row locks and state guards refuse a concurrent change (ConflictError).
        statuses.append("409")
    if "requestBody" in operation:
        statuses.append("415")  # DRF: no parser for the body's Content-Type
    if getattr(view, "issues_tokens", False):
        statuses.append("429")  # sign-in lockout per user name and address
    return statuses


def _content(status: str) -> dict:
    if status == "429":
        return _LOCKOUT_CONTENT
    component = VALIDATION_ERROR_COMPONENT if status == "400" else ERROR_COMPONENT
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}


def _requires_sign_in(view) -> bool:
    if view is None:
        return True
    permissions = view.get_permissions()
    return bool(permissions) and not all(isinstance(p, AllowAny) for p in permissions)


def _views_by_operation(generator) -> dict[tuple[str, str], Any]:
    """(path as in the schema, lower-case method) -> the view instance that serves it."""
    views = {}
    for path, _regex, method, callback in generator.endpoints or []:
        view = generator.create_view(callback, method)
        path = generator.coerce_path(path, method, view)
        views[(path if path.startswith("/") else "/" + path, method.lower())] = view
    return views
