#!/usr/bin/env bash
# Installs the Debian packages that the test suite needs, and only those that are missing.
#
#   chromium               browser tests (Playwright drives /usr/bin/chromium)
#   fonts-noto-cjk         Chinese text in PDFs. Chosen over fonts-wqy-microhei (5 MB) although
#                          it is larger (~90 MB): it has a real bold and a serif (宋体-like) face
#                          for official letters and ledgers; the Docker image ships the same font
#                          so tests see what production prints.
#   libharfbuzz-subset0    WeasyPrint subsets fonts with it; without it each CJK PDF takes 8-10 s
#   poppler-utils          pdftotext / pdffonts / pdftoppm to check PDFs in tests
#   libreoffice-calc-nogui headless xlsx -> pdf conversion, to check how workbooks print
#                          (~90 MB download, ~280 MB installed, without recommends)
#   libpango-1.0-0, libpangoft2-1.0-0   WeasyPrint's native libraries
#   pgbouncer              tests/hosts/test_pgbouncer.py runs the app behind it (transaction mode)
#   (the streaming-replica test uses the PostgreSQL server's own binaries, pg_basebackup and
#   pg_ctl of the same major version, from the server package CI's PostgreSQL comes with)
#
# With --pdf only the packages PDFs need (what `make run` checks): fonts-noto-cjk,
# libharfbuzz-subset0 and pango.
#
# Set ANJU_SKIP_SYSTEM_DEPS=1 to skip the check (e.g. on a machine without dpkg where you
# installed the equivalents yourself).
set -euo pipefail

PACKAGES=(
    chromium
    fonts-noto-cjk
    libharfbuzz-subset0
    poppler-utils
    libreoffice-calc-nogui
    libpango-1.0-0
    libpangoft2-1.0-0
    pgbouncer
)
purpose="the tests need"
rerun="make test"
if [[ "${1:-}" == "--pdf" ]]; then
    PACKAGES=(fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0)
    purpose="PDF documents (Chinese fonts, fast font subsetting) need"
    rerun="make run"
fi

if [[ "${ANJU_SKIP_SYSTEM_DEPS:-0}" == "1" ]]; then
    echo "ensure_system_deps: skipped (ANJU_SKIP_SYSTEM_DEPS=1)"
    exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "ensure_system_deps: this is not a Debian-like system (no dpkg-query)." >&2
    echo "Install the equivalents of: ${PACKAGES[*]}" >&2
    echo "then run again with ANJU_SKIP_SYSTEM_DEPS=1." >&2
    exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != "installed" ]]; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

install_line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "ensure_system_deps: $purpose Debian packages that are not installed:" >&2
    echo "    ${missing[*]}" >&2
    echo "Install them as root, then run '$rerun' again:" >&2
    echo "    sudo sh -c '$install_line'" >&2
    exit 1
fi

echo "ensure_system_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg run to finish instead of failing on its lock.
apt_options=(-o DPkg::Lock::Timeout=600 -q)
"${sudo[@]}" apt-get "${apt_options[@]}" update
"${sudo[@]}" apt-get "${apt_options[@]}" install -y --no-install-recommends "${missing[@]}"
