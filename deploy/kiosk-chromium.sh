#!/bin/sh
# Start Chromium full screen on a kiosk or lobby display.
# Usage: kiosk-chromium.sh http://SERVER:8000/kiosk/K1   (or /display/D1)
set -eu
URL="${1:?usage: kiosk-chromium.sh URL}"
# A kiosk PC that starts before the branch server (a power cut, a reboot) would open on
# Chromium's error page and stay there; once the page is loaded, the page itself covers an
# outage. So wait until the server answers at all (any HTTP status) first.
ORIGIN=$(printf '%s\n' "$URL" | sed -E 's#^(https?://[^/]+).*#\1#')
if command -v curl >/dev/null 2>&1; then
  until curl -s -o /dev/null --max-time 5 "$ORIGIN/healthz"; do sleep 5; done
fi
# --autoplay-policy: a lobby display must chime and speak without anyone touching it;
# with it the display shows no "Turn on sound" button (tests/e2e reads the flag from here).
exec chromium --kiosk --noerrdialogs --disable-infobars --no-first-run \
  --disable-translate --disable-pinch --overscroll-history-navigation=0 \
  --autoplay-policy=no-user-gesture-required --check-for-update-interval=31536000 \
  "$URL"
