#!/usr/bin/env bash
# Extracts syslog-ng 3.38 (Debian's syslog-ng-core) and the libraries it needs into a fixed folder, without installing it:
# the syslog-ng package conflicts with rsyslog, and the syslog writer's tests run both as independent parsers.
# Usage: .ci/install-syslog-ng.sh [folder]   (default /opt/syslog-ng). The tests look for <folder>/usr/sbin/syslog-ng
# (or KAKASHI_SYSLOG_NG pointing at the folder). Needs apt-get (Debian/Ubuntu); never starts anything.
set -euo pipefail
dest=${1:-/opt/syslog-ng}
if [ -x "$dest/usr/sbin/syslog-ng" ]; then echo "syslog-ng already extracted in $dest"; exit 0; fi
command -v apt-get >/dev/null 2>&1 || { echo "apt-get not found: syslog-ng not extracted" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# syslog-ng-core and the runtime libraries it links that a machine with rsyslog may lack (extracting one already present is harmless: ours comes first on LD_LIBRARY_PATH only for syslog-ng).
packages=(syslog-ng-core libivykis0 libnet1 libjson-c5 libwrap0 libglib2.0-0 libpcre3 libcap2)
for p in "${packages[@]}"; do
  apt-get download "$p" >/dev/null 2>&1 || { echo "apt-get download $p failed" >&2; exit 1; }
done
mkdir -p "$dest"
for deb in ./*.deb; do dpkg -x "$deb" "$dest"; done
cat > "$dest/run-syslog-ng" <<'WRAP'
#!/usr/bin/env bash
# Runs the extracted syslog-ng with its own libraries and modules.
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$here/usr/lib/syslog-ng:$here/usr/lib/x86_64-linux-gnu:$here/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$here/usr/sbin/syslog-ng" --module-path="$here/usr/lib/syslog-ng/3.38" "$@"
WRAP
chmod +x "$dest/run-syslog-ng"
missing=$(LD_LIBRARY_PATH="$dest/usr/lib/syslog-ng:$dest/usr/lib/x86_64-linux-gnu:$dest/lib/x86_64-linux-gnu" ldd "$dest/usr/sbin/syslog-ng" | grep "not found" || true)
if [ -n "$missing" ]; then echo "syslog-ng still misses libraries:" >&2; echo "$missing" >&2; exit 1; fi
"$dest/run-syslog-ng" --version | head -1
