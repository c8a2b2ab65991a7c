#!/bin/sh
# The C sources follow .clang-format.
set -eu
cd "$1"
command -v clang-format >/dev/null 2>&1 || { echo "SKIP: clang-format not installed"; exit 77; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find config feeds monitor alerts tests -name '*.[ch]')
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "format OK: $(echo "$files" | wc -w) files"
