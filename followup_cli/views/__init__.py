"""Results put into words for the screen and for files (table, CSV, JSON, xlsx, HTML)."""
