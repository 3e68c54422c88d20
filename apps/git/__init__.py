"""Deploying an app from a git repository: its source, the checkout, and push webhooks."""
