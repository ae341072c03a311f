#!/usr/bin/env bash
# make test needs a real PostgreSQL server binary (the tests start their own cluster).
# Installs Debian's postgresql package when no server is found.
set -euo pipefail
if command -v pg_ctl >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL is missing: install it (sudo apt-get install postgresql) and run make test again" >&2
    exit 1
fi
echo "installing PostgreSQL with apt-get (once)..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
