#!/usr/bin/env bash
# Makes sure the tools the tests and documents need are present: pdftotext
# and pdftoppm (poppler-utils), qpdf, systemd-analyze (systemd, to check the
# units' hardening) and the CJK TrueType font gbsn00lp.ttf
# (fonts-arphic-gbsn00lp), and chromium for the portal's browser test
# (web's TestBrowserDistrictScenario). As root on Debian it installs what is missing;
# otherwise it says exactly what to install.
set -euo pipefail

need=()
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v qpdf >/dev/null || need+=(qpdf)
command -v systemd-analyze >/dev/null || need+=(systemd)   # the unit hardening test
command -v chromium >/dev/null || need+=(chromium)          # the portal's browser test
if [[ -z "${CLOUDBILL_FONT:-}" ]] && ! ls /usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf >/dev/null 2>&1; then
    need+=(fonts-arphic-gbsn00lp)
fi
if [[ ${#need[@]} -eq 0 ]]; then
    exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "deps: installing ${need[*]} from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    exit 0
fi
echo "deps: missing ${need[*]}. Install with: sudo apt-get install ${need[*]}" >&2
exit 1
