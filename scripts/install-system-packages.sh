#!/bin/sh
# Debian packages the browser and PDF tests use: Chromium (driven by Playwright with
# executable_path; never a browser download), poppler-utils (pdftoppm renders PDF pages) and
# fonts-noto-cjk (the Chinese site and papers: CJK glyphs, no tofu).
set -e
if command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 \
   && fc-list :lang=zh family 2>/dev/null | grep -q "CJK SC"; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium poppler-utils fonts-noto-cjk
