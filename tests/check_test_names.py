#!/usr/bin/env python3
"""Fails when a Catch2 TEST_CASE name holds a character CTest cannot carry.

catch_discover_tests registers each test case by name; a ';' splits it into a
CMake list, so the test CTest runs matches no case and fails with "no tests ran",
or, worse, looks like a different test. Prints FILE:LINE: NAME for each.
"""
import pathlib
import re
import sys

TEST_CASE = re.compile(r'TEST_CASE\(\s*"((?:[^"\\]|\\.)*)"')


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    problems = []
    for path in sorted((root / "tests").rglob("*.cpp")):
        text = path.read_text(encoding="utf-8")
        for match in TEST_CASE.finditer(text):
            name = match.group(1)
            if ";" in name:
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path}:{line}: {name}")
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} test name(s) with ';': CTest would split them (use ',' instead)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
