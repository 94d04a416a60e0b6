#!/usr/bin/env python3
"""Man pages (roff, section 1) generated from a program's argument parser: its `--experimental-dump-help` JSON
(swift-argument-parser's ToolInfo, the input of `swift package generate-manual`), so that the pages describe the
very binary that is packaged. One page per command and subcommand, git-style names: sansang-agent.1,
sansang-agent-spool-status.1, …

Usage: scripts/manpages.py BINARY OUTPUT_DIRECTORY VERSION DATE
"""
import json
import subprocess
import sys
from pathlib import Path


def roff(text: str) -> str:
    """Escapes text for roff: backslashes, and a leading dot or apostrophe on any line."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def paragraphs(text: str) -> str:
    """A discussion: blank lines separate paragraphs; indented lines (examples) are kept as they are."""
    out = []
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        if any(line.startswith("  ") for line in lines):
            out.append(".PP\n.nf\n.RS 4\n" + roff("\n".join(lines)) + "\n.RE\n.fi")
        else:
            out.append(".PP\n" + roff(" ".join(line.strip() for line in lines)))
    return "\n".join(out)


def flag_names(argument) -> str:
    names = []
    for name in argument.get("names") or []:
        prefix = {"long": "--", "short": "-", "longWithSingleDash": "-"}[name["kind"]]
        names.append("\\fB" + roff(prefix + name["name"]) + "\\fR")
    value = argument.get("valueName")
    if argument["kind"] == "option" and value:
        names = [n + " \\fI" + roff("<" + value + ">") + "\\fR" for n in names]
    return ", ".join(names)


def synopsis(path: list, command) -> str:
    parts = ["\\fB" + roff(" ".join(path)) + "\\fR"]
    for argument in command.get("arguments") or []:
        if not argument.get("shouldDisplay", True):
            continue
        if argument["kind"] == "positional":
            item = "\\fI" + roff("<" + (argument.get("valueName") or "value") + ">") + "\\fR"
        else:
            preferred = argument.get("preferredName") or (argument.get("names") or [None])[0]
            if preferred is None:
                continue
            prefix = {"long": "--", "short": "-", "longWithSingleDash": "-"}[preferred["kind"]]
            item = "\\fB" + roff(prefix + preferred["name"]) + "\\fR"
            if argument["kind"] == "option":
                item += " \\fI" + roff("<" + (argument.get("valueName") or "value") + ">") + "\\fR"
        if argument.get("isRepeating"):
            item += " ..."
        if argument.get("isOptional"):
            item = "[" + item + "]"
        parts.append(item)
    if command.get("subcommands"):
        parts.append("\\fI<subcommand>\\fR")
    return " ".join(parts)


def page(path: list, command, version: str, date: str, program: str) -> str:
    name = "-".join(path)
    lines = [
        f'.TH "{name.upper()}" "1" "{date}" "sansang {version}" "sansang"',
        ".SH NAME",
        f"{roff(name)} \\- {roff(command.get('abstract') or '')}",
        ".SH SYNOPSIS",
        synopsis(path, command),
    ]
    if command.get("discussion") or command.get("abstract"):
        lines += [".SH DESCRIPTION", paragraphs(command.get("discussion") or command.get("abstract"))]
    arguments = [a for a in command.get("arguments") or [] if a.get("shouldDisplay", True)]
    if arguments:
        lines.append(".SH OPTIONS")
        for argument in arguments:
            if argument["kind"] == "positional":
                head = "\\fI" + roff("<" + (argument.get("valueName") or "value") + ">") + "\\fR"
            else:
                head = flag_names(argument)
            lines += [".TP", head]
            text = argument.get("abstract") or ""
            if argument.get("allValueStrings") and argument["kind"] == "option":
                text += (" " if text else "") + "Values: " + ", ".join(argument["allValueStrings"]) + "."
            if argument.get("defaultValue"):
                text += (" " if text else "") + "Default: " + argument["defaultValue"] + "."
            lines.append(roff(text) if text else "")
            if argument.get("discussion"):
                lines.append(paragraphs(argument["discussion"]).replace(".PP\n", ".IP\n"))
    subcommands = [s for s in command.get("subcommands") or [] if s.get("shouldDisplay", True) and s["commandName"] != "help"]
    if subcommands:
        lines.append(".SH SUBCOMMANDS")
        for sub in subcommands:
            lines += [".TP", "\\fB" + roff(sub["commandName"]) + "\\fR",
                      roff(sub.get("abstract") or "") + " See \\fB" + roff("-".join(path + [sub["commandName"]])) + "\\fR(1)."]
    lines.append(".SH SEE ALSO")
    see = ["\\fB" + roff("-".join(path[:-1])) + "\\fR(1)"] if len(path) > 1 else []
    see += ["\\fB" + roff("-".join(path + [s["commandName"]])) + "\\fR(1)" for s in subcommands]
    lines.append(", ".join(see + [f"/usr/share/doc/{program}"]))
    return "\n".join(lines) + "\n"


def walk(path: list, command, out: Path, version: str, date: str, program: str):
    (out / ("-".join(path) + ".1")).write_text(page(path, command, version, date, program), encoding="utf-8")
    for sub in command.get("subcommands") or []:
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            walk(path + [sub["commandName"]], sub, out, version, date, program)


def main():
    binary, output, version, date = sys.argv[1:5]
    info = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True, capture_output=True).stdout)
    command = info["command"]
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    walk([command["commandName"]], command, out, version, date, command["commandName"])


if __name__ == "__main__":
    main()
