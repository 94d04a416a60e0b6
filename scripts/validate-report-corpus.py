#!/usr/bin/env python3
"""Checks openapi.yaml's ReportBatch against the report decoder corpus: what the collector accepts, the document
admits; what it refuses, the document refuses too, but for rules across fields JSON Schema cannot say.

usage: validate-report-corpus.py openapi.yaml Tests/Corpus/report-decoder
ok-* must be valid; invalid-* and unsupported-* invalid, except those named in ACROSS_FIELDS. Prints one line per
disagreement and a summary; exit 1 on any.
"""
import json
import pathlib
import sys

import yaml
from openapi_schema_validator import OAS30Validator

# Refused by the collector for a rule across fields (docs/report-format.md, "Limits"): schema-valid by necessity.
ACROSS_FIELDS = {"invalid-gap-reversed.json"}


def main(spec_path, corpus):
    spec = yaml.safe_load(open(spec_path, encoding="utf-8"))
    root = dict(spec["components"]["schemas"]["ReportBatch"], components=spec["components"])
    validator = OAS30Validator(root, format_checker=OAS30Validator.FORMAT_CHECKER)
    failures, checked = [], 0
    for path in sorted(pathlib.Path(corpus).glob("*.json")):
        kind = path.name.split("-")[0]
        if kind not in ("ok", "invalid", "unsupported"):
            continue
        checked += 1
        errors = list(validator.iter_errors(json.loads(path.read_bytes())))
        if kind == "ok" and errors:
            failures.append(f"{path.name}: accepted by the collector, refused by the document: {errors[0].message}")
        elif kind != "ok" and not errors and path.name not in ACROSS_FIELDS:
            failures.append(f"{path.name}: refused by the collector, admitted by the document")
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"{checked} bodies checked, {len(failures)} disagreements")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
