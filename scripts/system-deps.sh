#!/usr/bin/env bash
# Installs the system packages the project needs when they are missing (Debian/Ubuntu, as root),
# or says exactly what to install. Idempotent: a machine that has them is left alone.
#   fonts-noto-cjk   Chinese font for the PDF certificates (WeasyPrint)
#   libpango-1.0-0   text layout library WeasyPrint renders with (plus libpangoft2)
#   poppler-utils    pdftoppm: the tests render certificate pages to PNG
#   zbar-tools       zbarimg: the tests decode the certificate's QR code
#   chromium         the browser the Playwright tests drive (Debian's build, not a download)
#   postgresql-client  pg_dump/pg_restore for manage.py backup/restore on PostgreSQL
#                      (must match the server's major version)
set -u
missing=()
fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep -q "libpango-1.0.so" || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so" || missing+=(libpangoft2-1.0-0)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Missing system packages: ${missing[*]}"
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null && exit 0
  echo "apt-get could not install them." >&2
fi
echo "Install them with your package manager, e.g.: sudo apt-get install ${missing[*]}" >&2
exit 1
