#!/usr/bin/env python3
"""Fails when a file of src/ includes a header of a higher layer.

The layers, lowest first, and what each may include (its own folder and these):
util < crypto, kube < formats < frame < steps < cli < commands < main.cpp.
Prints every offending include as FILE:LINE: includes HEADER (LAYER may use ...).
"""
import pathlib
import re
import sys

ALLOWED = {
    "util": {"util"},
    "crypto": {"util", "crypto"},
    "kube": {"util", "kube"},
    "formats": {"util", "crypto", "kube", "formats"},
    "frame": {"util", "crypto", "kube", "frame"},
    "steps": {"util", "crypto", "kube", "formats", "frame", "steps"},
    "health": {"util", "crypto", "kube", "formats", "frame", "health"},
    "metrics": {"util", "kube", "metrics"},
    "cli": {"util", "kube", "cli"},
    "commands": {"util", "crypto", "kube", "formats", "frame", "steps", "health", "metrics", "cli", "commands"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"')


def main(root: pathlib.Path) -> int:
    problems = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        layer = path.relative_to(root).parts[0]
        if layer == "main.cpp":
            continue
        allowed = ALLOWED.get(layer)
        if allowed is None:
            problems.append(f"{path}: folder '{layer}' has no place in the layer order (tests/check_layers.py)")
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = INCLUDE.match(line)
            if match and match.group(1) not in allowed:
                problems.append(f"{path}:{number}: includes {match.group(1)}/ "
                                f"({layer} may use {', '.join(sorted(allowed))})")
    for problem in problems:
        print(problem)
    if not problems:
        print(f"layers: every include of {root} follows the layer order")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
