"""The log sink: the dry-run target of simulate/replay and the console of the demo."""

from __future__ import annotations

import logging
from collections.abc import Callable

from livetrigger.actions import ActionRequest, LogMessage
from livetrigger.actions.describe import describe

log = logging.getLogger("livetrigger.actions")
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class LogSink:
    """Writes ``log`` actions to the log; with ``echo`` also hands each line to a printer."""

    def __init__(self, echo: Callable[[ActionRequest, str], None] | None = None) -> None:
        self._echo = echo

    async def handle(self, request: ActionRequest) -> None:
        if isinstance(request, LogMessage):
            text = request.message
            log.log(_LEVELS[request.level], "[%s] %s", request.rule_id, text)
        else:
            text = describe(request)
            log.info("[%s] %s", request.rule_id, text)
        if self._echo is not None:
            self._echo(request, text)
