"""App secret values encrypted at rest: the helpers moved to :mod:`paas.crypto`.

Kept so ``from apps import crypto`` goes on working; new code imports paas.crypto.
"""

from paas.crypto import SecretUnreadable, decrypt, encrypt, fernet

__all__ = ["SecretUnreadable", "decrypt", "encrypt", "fernet"]
