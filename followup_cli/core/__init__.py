"""The pure core: dates, customers and rules, schedules, rhythm, metrics. No SQL, no
clock, no terminal: "today" is always an argument."""
