#!/bin/sh
# Debian packages the browser and PDF tests use: Chromium (driven by Playwright with
# executable_path; never a browser download), poppler-utils (pdftoppm renders PDF pages,
# pdffonts lists embedded fonts) and fonts-noto-cjk (Noto Serif/Sans CJK SC, which Typst
# embeds in the Chinese white papers).
set -e
if command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 \
   && fc-list 2>/dev/null | grep -q "Noto Serif CJK SC"; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium poppler-utils fonts-noto-cjk
