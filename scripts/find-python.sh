#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 (Django 6 needs it), or explains what to install.
# Order: $PYTHON if given, then python3.14/3.13/3.12/python3 on PATH, then pyenv's installed versions.
set -u
ok() { "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
for name in python3.14 python3.13 python3.12 python3; do
  p=$(command -v "$name" 2>/dev/null) && candidates+=("$p")
done
while read -r p; do
  [ -x "$p" ] && candidates+=("$p")
done < <(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3 2>/dev/null | sort -rV)
for p in "${candidates[@]}"; do
  if ok "$p"; then
    # pyenv shims answer for versions that are not selected; resolve to the real interpreter.
    "$p" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "No Python >= 3.12 found (Django 6 requires it)." >&2
echo "Install one (Debian 13: apt-get install python3 python3-venv; or pyenv install 3.13)" >&2
echo "or point PYTHON at it: make PYTHON=/path/to/python3.13 ..." >&2
exit 1
