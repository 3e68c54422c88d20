"""Berth running as its own stack on the swarm: the image, the stack, install and
upgrade, backup and restore (``manage.py install|upgrade|backup|restore``)."""
