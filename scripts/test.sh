#!/usr/bin/env bash
# Run ruff and the test suite (args go to pytest); STORYBANK_DATABASE_URL picks PostgreSQL.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

bash scripts/start.sh --install-only dev || exit 1
bash scripts/system_packages.sh || exit 1
if [ "${CI:-}" = "true" ]; then
  # CI also proves openai-whisper's loading path; elsewhere its test is skipped unless the
  # extra is installed (it brings CPU PyTorch).
  bash scripts/start.sh --install-only "dev,openai-whisper" ||
    echo "Could not install the openai-whisper extra: its test will be skipped." >&2
fi
echo "== Storybank tests on ${STORYBANK_DATABASE_URL:-SQLite} =="

lint_dirs=()
for dir in storybank tests bench; do
  if [ -d "$dir" ]; then lint_dirs+=("$dir"); fi
done
lint=0
.venv/bin/ruff check "${lint_dirs[@]}" || lint=$?

status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: counted as a failure." >&2
elif [ "$status" = 0 ] && [ "$lint" != 0 ]; then
  echo "ruff found problems: counted as a failure." >&2
  status=1
fi
exit "$status"
