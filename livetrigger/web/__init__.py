"""The local web dashboard (see docs/dashboard.md)."""
