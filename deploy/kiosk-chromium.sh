#!/bin/sh
# Start Chromium full screen on a kiosk or lobby display.
# Usage: kiosk-chromium.sh http://SERVER:8000/kiosk/K1   (or /display/D1)
set -eu
URL="${1:?usage: kiosk-chromium.sh URL}"
# --autoplay-policy: a lobby display must chime and speak without anyone touching it;
# with it the display shows no "Turn on sound" button (tests/e2e reads the flag from here).
exec chromium --kiosk --noerrdialogs --disable-infobars --no-first-run \
  --disable-translate --disable-pinch --overscroll-history-navigation=0 \
  --autoplay-policy=no-user-gesture-required --check-for-update-interval=31536000 \
  "$URL"
