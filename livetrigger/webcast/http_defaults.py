"""What every request to TikTok carries (protocol.md §1.6, §1.7): headers, client params,
the websocket's params. One browser identity per daemon, kept stable across requests."""

from __future__ import annotations

import random

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/147.0.0.0 Safari/537.36"
)


def headers(user_agent: str) -> dict[str, str]:
    return {
        "Connection": "keep-alive",
        "Cache-Control": "max-age=0",
        "User-Agent": user_agent,
        "Accept": "text/html,application/json,application/protobuf",
        "Referer": "https://www.tiktok.com/",
        "Origin": "https://www.tiktok.com",
        "Accept-Language": "en-US,en;q=0.9",
        "Accept-Encoding": "gzip, deflate",
        "Sec-Fetch-Site": "same-site",
        "Sec-Fetch-Mode": "cors",
        "Sec-Fetch-Dest": "empty",
        "Sec-Fetch-Ua-Mobile": "?0",
    }


def client_params(user_agent: str) -> dict[str, str]:
    return {
        "aid": "1988",
        "app_language": "en",
        "app_name": "tiktok_web",
        "browser_language": "en-US",
        "browser_name": "Mozilla",
        "browser_online": "true",
        "browser_platform": "Win32",
        "browser_version": user_agent.removeprefix("Mozilla/"),
        "cookie_enabled": "true",
        "device_platform": "web_pc",
        "focus_state": "true",
        "from_page": "user",
        "history_len": "10",
        "is_fullscreen": "false",
        "is_page_visible": "true",
        "screen_height": "1080",
        "screen_width": "1920",
        "tz_name": "Europe/London",
        "channel": "tiktok_web",
        "data_collection_enabled": "true",
        "os": "windows",
        "priority_region": "",
        "region": "GB",
        "user_is_login": "false",
        "webcast_language": "en",
        "msToken": "",
    }


def ws_params(user_agent: str, rng: random.Random) -> dict[str, str]:
    return {
        "version_code": "180800",
        "aid": "1988",
        "app_language": "en",
        "app_name": "tiktok_web",
        "browser_platform": "Win32",
        "browser_name": "Mozilla",
        "browser_version": user_agent.removeprefix("Mozilla/"),
        "browser_language": "en-US",
        "tz_name": "Europe/London",
        "screen_width": "1920",
        "screen_height": "1080",
        "browser_online": "true",
        "cookie_enabled": "true",
        "device_platform": "web",
        "identity": "audience",
        "live_id": "12",
        "ws_direct": "0",
        "sup_ws_ds_opt": "1",
        "update_version_code": "2.0.0",
        "did_rule": "3",
        "heartbeat_duration": "0",
        "resp_content_type": "protobuf",
        "history_comment_count": "6",
        "client_enter": "1",
        "last_rtt": str(rng.randint(100, 200)),
        "webcast_language": "en",
    }
