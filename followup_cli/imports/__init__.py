"""The import pipeline, one module per stage: read (bytes to a table), known_layouts
(the exports shops have), clean (rows to records or rejections), read_ahead, run (match,
write, history)."""
