"""Compose files as stacks of Berth apps: parse, validate, translate, apply."""
