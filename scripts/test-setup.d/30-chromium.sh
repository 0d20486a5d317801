#!/usr/bin/env bash
# Ensures Debian's Chromium for the web console's end-to-end tests (Playwright drives it; no browser
# is downloaded) and exports KONFIDO_CHROMIUM=<path to the browser>.
# Source it: `. scripts/test-setup.d/30-chromium.sh`.
# - KONFIDO_CHROMIUM already set to an executable: that browser is used as it is.
# - Otherwise /usr/bin/chromium, installed from Debian's packages if missing.
# The console tests fail (never skip) when no browser is found.
konfido_chromium_main() {
  if [ -n "${KONFIDO_CHROMIUM:-}" ]; then
    if [ -x "$KONFIDO_CHROMIUM" ]; then
      echo "chromium: using KONFIDO_CHROMIUM=$KONFIDO_CHROMIUM from the environment" >&2
      return 0
    fi
    echo "chromium: KONFIDO_CHROMIUM=$KONFIDO_CHROMIUM is not executable; using Debian's chromium" >&2
  fi
  if ! [ -x /usr/bin/chromium ]; then
    echo "chromium: not installed; installing from Debian's packages" >&2
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2 \
      || { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
           && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2; } \
      || { echo "chromium: installation failed" >&2; return 1; }
  fi
  if ! /usr/bin/chromium --headless --no-sandbox --disable-gpu --dump-dom about:blank >/dev/null 2>&1; then
    echo "chromium: /usr/bin/chromium does not start headless" >&2
    return 1
  fi
  export KONFIDO_CHROMIUM=/usr/bin/chromium
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)" >&2
}
konfido_chromium_main
