"""The fake room's encoders: for each event kind, the protobuf message TikTok sends for it.

Everything is built with the generated protobuf classes from the protocol facts (field numbers,
badge scenes, streak flags), the way TikTok's servers would send it. ``registry.ENCODERS`` is
the table; the encoders live in one module per theme.
"""

from livetrigger.simulator.encode.common import Encoded, Quirks, avatar_urls, user_pb
from livetrigger.simulator.encode.registry import ENCODERS

__all__ = ["ENCODERS", "Encoded", "Quirks", "avatar_urls", "user_pb"]
