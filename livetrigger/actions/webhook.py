"""The ``webhook`` action: call a named endpoint of ``webhooks:`` (docs/actions.md). Its calls
are kept in the outbox until they leave their queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from livetrigger import events as ev
from livetrigger.actions.kind import (
    ActionKind,
    ActionRequest,
    CompileContext,
    CompiledAction,
    Context,
    Targets,
)
from livetrigger.actions.outlet import Outlet, OutletContext, QueuePolicy, SimpleOutlet
from livetrigger.actions.shared import (
    b64,
    default_payload,
    from_b64,
    pairs,
    sample,
    short,
    text_at,
)
from livetrigger.settings import key
from livetrigger.text.suggest import suggest
from livetrigger.text.webvalues import (
    endpoint_url,
    escape_header,
    escape_path,
    escape_segment,
    header_problem,
    scrub,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpCall(ActionRequest):
    """A webhook call to a named endpoint (``WebhookSettings``); ``path`` is appended to its
    URL, ``body`` is the exact bytes sent (JSON payloads are rendered to valid JSON first)."""

    endpoint: str
    method: str | None = None  # None: the endpoint's method
    path: str = ""
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    content_type: str = "application/json"

    @property
    def target(self) -> str:
        return f"http:{self.endpoint}"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookAction:
    """Call a named endpoint from ``webhooks``; ``path`` and ``body`` are templates."""

    endpoint: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = None
    path: str = ""
    raw_path: bool = key(
        False,
        doc="print values into the path as they are (`/` kept, so they may add "
        "segments); by default each value is one percent-encoded segment (docs/actions.md)",
    )
    query: dict[str, str] = key({})
    headers: dict[str, str] = key({})
    json_: dict[str, Any] | list[Any] | None = key(None, alias="json")
    body: str | None = None
    content_type: str | None = None


class _Journal:
    """Every webhook call is kept."""

    tag = "http"

    def keeps(self, request: HttpCall) -> bool:
        return True

    def encode(self, request: HttpCall) -> dict[str, Any]:
        return {
            "endpoint": request.endpoint,
            "method": request.method,
            "path": request.path,
            "query": [list(p) for p in request.query],
            "headers": [list(p) for p in request.headers],
            "body": b64(request.body),
            "content_type": request.content_type,
        }

    def decode(self, record: dict[str, Any], *, rule_id: str, room: str) -> HttpCall:
        method = record.get("method")
        if method is not None and not isinstance(method, str):
            raise ValueError("bad method")
        return HttpCall(
            rule_id=rule_id,
            room=room,
            endpoint=text_at(record, "endpoint"),
            method=method,
            path=text_at(record, "path"),
            query=pairs(record.get("query")),
            headers=pairs(record.get("headers")),
            body=from_b64(record, "body"),
            content_type=text_at(record, "content_type"),
        )


class Webhook:
    """Call an endpoint of the ``webhooks:`` section."""

    name = "webhook"
    schema = WebhookAction
    shorthand = None
    request = HttpCall
    outbox = _Journal()

    def compile(self, entry: WebhookAction, ctx: CompileContext) -> CompiledAction | None:
        w = entry
        hooks = ctx.targets.webhooks
        if w.endpoint not in hooks:
            have = ", ".join(sorted(hooks)) or "none: add a `webhooks:` section"
            ctx.problem(
                f"unknown webhook `{w.endpoint}`{suggest(w.endpoint, hooks)} (webhooks: {have})",
                "endpoint",
            )
            return None
        if w.body is not None and w.json_ is not None:
            ctx.problem("give either body or json, not both")
            return None
        path_t = ctx.text(w.path, "path", escape_path if w.raw_path else escape_segment)
        query = [(k, ctx.text(v, f"query.{k}")) for k, v in w.query.items()]
        headers = [(k, ctx.text(v, f"headers.{k}", escape_header)) for k, v in w.headers.items()]
        for k, v in w.headers.items():
            if problem := header_problem(k, sample(v)):
                ctx.problem(problem, "headers", k)
        body_t = ctx.mapping(w.json_, "json") if w.json_ is not None else None
        raw_t = ctx.text(w.body, "body") if w.body is not None else None
        if ctx.failed:
            return None
        content_type = w.content_type or (
            "application/json" if w.body is None or (raw_t and raw_t.is_json) else "text/plain"
        )
        if problem := header_problem("Content-Type", content_type):
            ctx.problem(problem, "content_type")
            return None
        method, endpoint = w.method, w.endpoint

        def build_http(ctx: Context, rule: str, room: str, event: ev.Event) -> ActionRequest:
            if body_t is not None:
                body = body_t.render(ctx).encode()
            elif raw_t is not None:
                body = scrub(raw_t.render(ctx)).encode()
            else:
                body = default_payload(ctx)
            return HttpCall(
                rule_id=rule,
                room=room,
                event=event,
                endpoint=endpoint,
                method=method,
                path=path_t.render(ctx) if path_t else "",
                query=tuple((k, scrub(t.render(ctx))) for k, t in query if t),
                headers=tuple((k, t.render(ctx)) for k, t in headers if t),
                body=body,
                content_type=content_type,
            )

        return CompiledAction("webhook", _hint(w, ctx.targets), build_http)

    def describe(self, request: HttpCall) -> str:
        method = f"{request.method} " if request.method else ""
        return f"webhook {request.endpoint}{request.path} {method}{short(request.body)}"

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        """The endpoints of ``webhooks:``, journaled in the outbox."""
        if not config.webhooks:
            return None
        from livetrigger.actions.sinks.http import WebhookSink  # noqa: PLC0415

        return _WebhookOutlet("http", WebhookSink(config.webhooks, journal=ctx.journal))


def _hint(w: WebhookAction, targets: Targets) -> str:
    """``webhook <endpoint> <the path requested>`` for `check`, the endpoint's own path and
    the action's joined as the request joins them."""
    base = targets.webhook_paths.get(w.endpoint, "")
    return f"webhook {w.endpoint} {endpoint_url(base, w.path) or '/'}"


class _WebhookOutlet(SimpleOutlet):
    def policies(self, config: Any) -> dict[str, QueuePolicy]:
        """One queue per endpoint; retries live inside one request: room for all of them."""
        out = {}
        for w in config.webhooks:
            budget = (w.timeout + w.retry_initial * 2**w.retries) * (w.retries + 1)
            out[f"http:{w.name}"] = QueuePolicy(
                size=w.queue_size, overflow=w.overflow, timeout=budget
            )
        return out

    def apply(self, config: Any) -> None:
        """Endpoints added, changed or removed by a reload."""
        self.sink.reconfigure(config.webhooks)  # type: ignore[attr-defined]

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        await self.sink.aclose()  # type: ignore[attr-defined]


KIND: ActionKind[WebhookAction, HttpCall] = Webhook()  # mypy checks it against the seam
