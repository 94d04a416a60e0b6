#!/usr/bin/env python3
"""Puts the text read from stdin at the end of a section of docs/performance.md (before the next `## ` heading),
so that a benchmark's rows and notes land under its own heading, not at the end of the file.
Usage: bench/append-to-section.py "## Section heading" [--block] < text
       --block: the text is a paragraph or a table of its own (a blank line before it); otherwise it is table rows,
       put right after the section's last table row."""
import sys

heading, block = sys.argv[1], "--block" in sys.argv[2:]
path = "docs/performance.md"
text = sys.stdin.read().strip("\n")
lines = open(path, encoding="utf-8").read().split("\n")
start = lines.index(heading)
end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
if block:
    while end > start + 1 and lines[end - 1] == "":
        end -= 1
    lines[end:end] = ["", text]
else:
    last = max(i for i in range(start, end) if lines[i].startswith("|"))
    lines.insert(last + 1, text)
open(path, "w", encoding="utf-8").write("\n".join(lines))
