"""Test-only Home Assistant integration for scripts/ha-check (copied into a throwaway config).

It does two things the check needs from inside Home Assistant and nothing else:
- writes an admin long-lived access token to ``<config>/ha_check_token`` so the harness can
  read HA over its own REST and websocket APIs without an onboarding dance;
- offers ``ha_check.compile_statistics`` that queues the recorder's own statistics task
  (the one its 5-minute timer queues) for every 5-minute period since a given time, so a
  bounded run gets long-term statistics without waiting for the wall clock.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import voluptuous as vol
from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.auth.models import TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN
from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.tasks import StatisticsTask
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.util import dt as dt_util

DOMAIN = "ha_check"
PERIOD = timedelta(minutes=5)


async def async_setup(hass: HomeAssistant, config: dict[str, Any]) -> bool:
    user = await hass.auth.async_create_user("ha-check", group_ids=[GROUP_ID_ADMIN])
    refresh = await hass.auth.async_create_refresh_token(
        user,
        client_name="ha-check",
        token_type=TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN,
        access_token_expiration=timedelta(days=1),
    )
    token = hass.auth.async_create_access_token(refresh)
    path = hass.config.path("ha_check_token")

    def write() -> None:
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token)
        Path(path + ".tmp").replace(path)

    await hass.async_add_executor_job(write)

    async def compile_statistics(call: ServiceCall) -> ServiceResponse:
        since = dt_util.parse_datetime(call.data["since"])
        if since is None:
            raise vol.Invalid("since: not an ISO date-time")
        since = dt_util.as_utc(since)
        start = since.replace(minute=since.minute - since.minute % 5, second=0, microsecond=0)
        now = dt_util.utcnow()
        instance = get_instance(hass)
        periods = []
        while start <= now:
            # the recorder's own task: compiles [start, start + 5 min) unless already compiled
            instance.queue_task(StatisticsTask(start, False))
            periods.append(start.isoformat())
            start += PERIOD
        await instance.async_block_till_done()
        return {"periods": periods}

    hass.services.async_register(
        DOMAIN,
        "compile_statistics",
        compile_statistics,
        schema=vol.Schema({vol.Required("since"): str}),
        supports_response=SupportsResponse.OPTIONAL,
    )
    return True
