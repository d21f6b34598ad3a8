"""The fake live room: a loopback server speaking the real WebCast protocol, and shows."""
