#!/usr/bin/env bash
# Install the Debian packages the tests need and pip cannot bring: pdftoppm (poppler-utils),
# which renders pack PDFs to images, DejaVu fonts, which the print stylesheet names, and
# HarfBuzz's subsetter, with which WeasyPrint embeds only the glyphs a PDF uses, and Chromium,
# which the real-browser tests (tests/browser) drive through Playwright.
# Quiet and idempotent: it does nothing when they are already there. Without root or apt-get
# it only says what is missing (the PNG and browser tests then skip outside CI).
set -uo pipefail

missing=()
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if ! command -v fc-list >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "DejaVu Sans"; then
  missing+=(fonts-dejavu-core)
fi
if ! ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so.0"; then
  missing+=(libharfbuzz-subset0)
fi
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ "${#missing[@]}" = 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages (install them with apt-get as root): ${missing[*]}" >&2
  exit 0
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Install from the cached lists first; refresh them only if that fails (stale or empty lists).
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  apt-get update -qq >/dev/null || exit 1
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || exit 1
fi
