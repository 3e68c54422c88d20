"""Volumes: named storage of a team, on any driver, mounted into apps at any time."""
