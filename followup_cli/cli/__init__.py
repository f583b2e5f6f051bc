"""The command line. Kept empty so that the language is settled before any help text is
read (see launch.py)."""
