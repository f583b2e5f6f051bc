"""Translation catalogues: one module per language, each with a `MESSAGES` dict (see i18n.py)."""
