#!/usr/bin/env bash
# The whole test suite, on a machine that may have none of what it needs.
#
# Installs what is missing (cargo-nextest, PostgreSQL, the tansu
# Kafka-protocol broker, Chromium with chromedriver), starts PostgreSQL and
# the broker if they are not running, then runs every test of the workspace.
# Tests that need PostgreSQL, Kafka or Chromium fail rather than skip
# (RENKEI_REQUIRE_SERVICES=1); set it to 0 to let them skip on a laptop
# without those components.
set -euo pipefail
cd "$(dirname "$0")/.."

export RENKEI_REQUIRE_SERVICES="${RENKEI_REQUIRE_SERVICES:-1}"
PG_URL="${RENKEI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
KAFKA="${RENKEI_TEST_KAFKA_BROKERS:-127.0.0.1:9092}"
LOGS="${RENKEI_TEST_LOGS:-${TMPDIR:-/tmp}/renkei-test-logs}"
mkdir -p "$LOGS"
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

say() { printf '==> %s\n' "$*"; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  local host=$1 port=$2 what=$3 deadline=$((SECONDS + 60))
  until port_open "$host" "$port"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "error: $what did not open $host:$port within 60 s" >&2
      return 1
    fi
    sleep 0.5
  done
}

apt_install() {
  if [ ! -f /var/lib/apt/periodic/renkei-updated ]; then
    $SUDO apt-get update -qq
    $SUDO mkdir -p /var/lib/apt/periodic && $SUDO touch /var/lib/apt/periodic/renkei-updated
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@"
}

# --- Rust tools -------------------------------------------------------------
command -v cargo >/dev/null || { echo "error: cargo is not installed (https://rustup.rs)" >&2; exit 1; }
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt
if ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

# --- PostgreSQL -------------------------------------------------------------
if ! port_open 127.0.0.1 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    say "installing PostgreSQL"
    apt_install postgresql
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  # Tests connect over loopback without a password, as on the development machines.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  say "starting PostgreSQL $version"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || $SUDO pg_ctlcluster "$version" main start
  wait_port 127.0.0.1 5432 PostgreSQL
fi
# Databases left by earlier runs (each test creates its own).
if command -v psql >/dev/null; then
  psql "$PG_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'renkei_t_%'" 2>/dev/null |
    while read -r db; do psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
fi

# --- Kafka-protocol broker (tansu) -----------------------------------------
broker_pid=""
cleanup() { if [ -n "$broker_pid" ]; then kill "$broker_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT
kafka_host=${KAFKA%%:*}
kafka_port=${KAFKA##*:}
if ! port_open "$kafka_host" "$kafka_port"; then
  if ! command -v tansu >/dev/null; then
    say "installing the tansu broker (about ten minutes, once)"
    cargo install tansu --locked --features postgres,dynostore
  fi
  say "starting tansu on $KAFKA"
  tansu broker \
    --listener-url "tcp://$KAFKA" \
    --advertised-listener-url "tcp://$KAFKA" \
    --storage-engine memory://tansu/ >"$LOGS/tansu.log" 2>&1 &
  broker_pid=$!
  wait_port "$kafka_host" "$kafka_port" "the tansu broker"
fi

# --- Headless Chromium for the web UI tests --------------------------------
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing Chromium and chromedriver (Debian packages)"
  apt_install chromium chromium-driver
fi

# --- The tests --------------------------------------------------------------
say "checking formatting"
cargo fmt --all -- --check
say "running the test suite"
cargo nextest run --workspace "$@"
