from __future__ import annotations

from django.db import models

from core import crypto


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees the plain value.

    Never filter on this field (the ciphertext is randomised): filter on its hash field.
    """

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)
