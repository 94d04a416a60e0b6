#!/usr/bin/env python3
"""Prints the closing line of a test run from Swift Testing's xUnit file: `tests: N passed, N failed, N skipped`.

`swift test` sometimes leaves out Swift Testing's own "Test run with N tests" line when the output is long, although
its exit status is right; this line, written after the run from the results file, always closes the output.
Usage: test-summary.py .build/xunit.xml  (swift test --disable-xctest --xunit-output .build/xunit.xml)
"""
import sys
import xml.etree.ElementTree as ElementTree


def main(argv):
    try:
        root = ElementTree.parse(argv[1]).getroot()
    except (IndexError, OSError, ElementTree.ParseError) as error:
        print(f"test-summary: no results to summarise: {error}", file=sys.stderr)
        return 2
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    print(f"tests: {total - failed - skipped} passed, {failed} failed, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
