#!/usr/bin/python3
"""Reads CSV on stdin as a spreadsheet or a script would, with Python's csv.DictReader (strict),
and prints its rows as one JSON array of objects. Fails (exit 1, the reasons on stderr) when a
column is unnamed or named twice, a row has more or fewer fields than the header, or a column
named on the command line is missing or empty in some row.

    read-csv.py [FILLED_COLUMN...] < FILE.csv
"""
import csv
import io
import json
import sys

text = sys.stdin.buffer.read().decode("utf-8")
records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
rows = list(csv.DictReader(io.StringIO(text, newline=""), strict=True))
header = records[0] if records else []
problems = []
if not header:
    problems.append("no header")
if any(not name for name in header):
    problems.append(f"an unnamed column in {header}")
twice = sorted({name for name in header if header.count(name) > 1})
if twice:
    problems.append(f"columns named more than once: {twice} in {header}")
problems += [f"no column {name!r} in {header}" for name in sys.argv[1:] if name not in header]
for number, (record, row) in enumerate(zip(records[1:], rows), start=2):
    if len(record) != len(header):
        problems.append(f"row {number} has {len(record)} fields, the header {len(header)}: {record}")
    problems += [f"row {number}: {name!r} is empty: {row}" for name in sys.argv[1:] if name in header and not row[name]]
if problems:
    sys.stderr.write("\n".join(problems) + "\n")
    sys.exit(1)
print(json.dumps(rows))
