#!/usr/bin/env python3
"""Validates openapi.yaml itself, then real responses of the collector against it.

usage: validate-api-responses.py openapi.yaml responses.json
responses.json: [{"path": "/api/v1/sites/{code}", "method": "get", "status": 200, "body": {...}}, ...]
Each body is checked against the JSON schema the document declares for that path, method and status; a 405 to a
method the path does not list, against components/responses/MethodNotAllowed.
"""
import json
import sys

import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec


def main(spec_path, responses_path):
    spec = yaml.safe_load(open(spec_path, encoding="utf-8"))
    validate_spec(spec)
    failures = []
    responses = json.load(open(responses_path, encoding="utf-8"))
    for item in responses:
        where = f'{item["method"].upper()} {item["path"]} {item["status"]}'
        operation = spec["paths"].get(item["path"], {}).get(item["method"])
        if operation is None and item["status"] == 405 and item["path"] in spec["paths"]:
            # A method the path does not list: the document's answer to any of those (info, MethodNotAllowed).
            operation = {"responses": {"405": {"$ref": "#/components/responses/MethodNotAllowed"}}}
        if operation is None:
            failures.append(f"{where}: not in the document")
            continue
        response = operation["responses"].get(str(item["status"]))
        if response is None:
            failures.append(f"{where}: status not documented")
            continue
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].split("/")[-1]]
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            failures.append(f"{where}: no JSON schema")
            continue
        root = dict(schema, components=spec["components"])
        validator = OAS30Validator(root, format_checker=OAS30Validator.FORMAT_CHECKER)
        for error in validator.iter_errors(item["body"]):
            failures.append(f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"{len(responses)} responses checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
