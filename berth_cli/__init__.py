"""``berth``: the command-line client of a Berth portal (talks to its token API only)."""

__version__ = "0.1.0"
