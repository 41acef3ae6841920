#!/usr/bin/env bash
# Installs what the test suite needs from Debian's packages when it is missing:
# PostgreSQL (server binaries for a throwaway cluster), Chromium and CJK fonts (browser tests).
set -euo pipefail

need=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null 2>&1; then
  need+=(chromium)
fi
if ! { command -v fc-list >/dev/null 2>&1 && fc-list | grep -qi "Noto Sans CJK"; }; then
  need+=(fonts-noto-cjk)
fi

if [ ${#need[@]} -eq 0 ]; then
  echo "system dependencies present (PostgreSQL, Chromium, CJK fonts)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${need[*]}; run as root or install them: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  if apt-get update -qq && apt-get install -y -qq "${need[@]}"; then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt); retrying" >&2
  sleep $((attempt * 5))
done
echo "could not install ${need[*]}" >&2
exit 1
