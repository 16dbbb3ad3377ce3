#!/usr/bin/env bash
# Quick start: make .venv, install Storybank, set it up (first admin, a site) and serve it.
# `start.sh --install-only [EXTRA]` only makes .venv and installs `-e .[EXTRA]` (test.sh uses it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
  local candidate
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Storybank needs Python 3.11 or newer (python3.11, python3.12 or python3)." >&2
  return 1
}

make_venv() {
  local python
  python="$(find_python)"
  echo "Creating .venv with $("$python" -V)."
  rm -rf .venv
  if ! "$python" -m venv .venv; then
    # Debian's Python ships venv separately (python3-venv / python3.11-venv).
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || exit 1
    rm -rf .venv
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(basename "$python")-venv"
    "$python" -m venv .venv
  fi
}

# Install `-e .[extra]` unless the stamp says this pyproject.toml is already installed.
install_project() {
  local extra="${1:-}" target="." stamp=".venv/.storybank-installed" hash
  if [ -n "$extra" ]; then target=".[$extra]" stamp="$stamp-$extra"; fi
  .venv/bin/python -c '' 2>/dev/null || make_venv
  hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$hash" ]; then
    echo "Installing Storybank ($target) into .venv; the first time takes a few minutes."
    .venv/bin/python -m pip install --disable-pip-version-check -q -e "$target"
    echo "$hash" >"$stamp"
    echo "$hash" >.venv/.storybank-installed # any extra includes the base install
  fi
}

if [ "${1:-}" = "--install-only" ]; then
  install_project "${2:-}"
  exit 0
fi

install_project
.venv/bin/storybank init
exec .venv/bin/storybank serve --host "${STORYBANK_HOST:-127.0.0.1}" --port "${STORYBANK_PORT:-5000}"
