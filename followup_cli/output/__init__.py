"""Output plumbing: the table-fitting policy over Rich, and workbook writing."""
