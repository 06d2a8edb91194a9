#!/usr/bin/env bash
# Browser tests drive Debian's chromium (browsers cannot be downloaded by Playwright here).
# The fonts make the screenshots the tests take for the README show emoji and Chinese text.
set -euo pipefail
PACKAGES=(chromium fonts-noto-color-emoji fonts-wqy-microhei)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
