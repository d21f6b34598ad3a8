"""Devices streamers own (lights, DMX, OSC, ...), declared once by name under ``devices:``
and driven by the action kinds that can drive them: the seam is ``base.py``, the list
``registry.py``, one module per device kind (docs/devices.md, docs/extending.md)."""
