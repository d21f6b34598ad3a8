"""Generated from proto/webcast.proto by scripts/gen-proto. Do not edit."""
