"""The running daemon: the controller (controller.py) builds the rooms (rooms.py), the outputs
(outputs.py) and the features, runs the event path (event_path.py), takes commands through one
facade (control.py) and applies reloads (reload.py)."""

from livetrigger.daemon.controller import Daemon
from livetrigger.daemon.event_path import Hooks
from livetrigger.daemon.reload import describe_changes

__all__ = ["Daemon", "Hooks", "describe_changes"]
