#!/usr/bin/env bash
# Fails when a C++ file differs from what .clang-format lays out, listing each
# (fix with: clang-format -i FILE). scripts/setup installs clang-format.
set -euo pipefail
root=${1:-.}
command -v clang-format >/dev/null || { echo "clang-format is not installed: run scripts/setup" >&2; exit 1; }
cd "$root"
mapfile -t files < <(find src tests bench -name '*.cpp' -o -name '*.h' | sort)
bad=()
for file in "${files[@]}"; do
  clang-format --dry-run --Werror "$file" >/dev/null 2>&1 || bad+=("$file")
done
if ((${#bad[@]})); then
  printf '%s\n' "${bad[@]}"
  echo "${#bad[@]} of ${#files[@]} files differ from .clang-format: clang-format -i ${bad[*]:0:3} ..." >&2
  exit 1
fi
echo "${#files[@]} files as .clang-format lays them out"
