#!/usr/bin/env bash
# Rebuild the vendored front-end assets from the npm registry (no CDN is used at run time).
# GOV.UK Frontend is compiled with the system font and our asset path: the GDS Transport
# typeface and the crown are for GOV.UK services only.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp static/src/tracker.scss "$work/"
(cd "$work" && npm install --silent --no-audit --no-fund govuk-frontend@6.6.0 htmx.org@2.0.11 axe-core@4.14.1 sass@1)
"$work/node_modules/.bin/sass" --no-source-map --style=compressed --quiet-deps \
  --silence-deprecation=import --load-path="$work" "$work/tracker.scss" static/govuk/govuk-frontend.min.css
cp "$work/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js" static/govuk/
cp "$work/node_modules/htmx.org/dist/htmx.min.js" static/htmx/
cp "$work/node_modules/axe-core/axe.min.js" tests/assets/
echo "Assets rebuilt."
