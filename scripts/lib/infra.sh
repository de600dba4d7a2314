# Shared by scripts/start and scripts/test: make sure the tool chain and the local Redis and RabbitMQ exist.
# Sourced, not run. Every function prints what it does and fails with a clear message.

voltq_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log() { printf '[voltq] %s\n' "$*" >&2; }
die() { printf '[voltq] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() { # host port seconds
  local i
  for ((i = 0; i < $3 * 5; i++)); do port_open "$1" "$2" && return 0; sleep 0.2; done
  return 1
}

apt_install() {
  command -v apt-get >/dev/null || return 1
  [ "$(id -u)" = 0 ] || return 1
  log "installing $* from Debian packages"
  if [ -z "${VOLTQ_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null 2>&1 || true; VOLTQ_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

ensure_node() {
  command -v node >/dev/null || die "Node.js 20 or newer is required (https://nodejs.org)"
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js 20 or newer is required, found $(node --version)"
}

ensure_pnpm() {
  if command -v pnpm >/dev/null && pnpm --version 2>/dev/null | grep -q '^1[2-9]\.'; then return 0; fi
  log "installing pnpm 12"
  npm install -g pnpm@12 >/dev/null 2>&1 ||
    COREPACK_INTEGRITY_KEYS=0 corepack prepare pnpm@12 --activate >/dev/null 2>&1 ||
    die "could not install pnpm 12 (tried npm install -g pnpm@12 and corepack)"
  command -v pnpm >/dev/null || die "pnpm was installed but is not on PATH"
}

ensure_deps() {
  (cd "$voltq_root" && pnpm install --frozen-lockfile --reporter=append-only >/dev/null 2>"$voltq_root/.pnpm-install.log") ||
    { tail -20 "$voltq_root/.pnpm-install.log" >&2; die "pnpm install failed (see above)"; }
  rm -f "$voltq_root/.pnpm-install.log"
}

ensure_redis() {
  local host="${REDIS_HOST:-127.0.0.1}" port="${REDIS_PORT:-6379}"
  if [ -n "${REDIS_URL:-}" ]; then return 0; fi
  port_open "$host" "$port" && return 0
  if ! command -v redis-server >/dev/null; then apt_install redis-server || die "Redis is not running on $host:$port and could not be installed; install redis-server or set REDIS_URL"; fi
  log "starting redis-server on $port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no >/dev/null ||
    die "redis-server failed to start"
  wait_port "$host" "$port" 10 || die "Redis did not accept connections on $host:$port"
}

ensure_rabbitmq() {
  local host="${AMQP_HOST:-127.0.0.1}" port="${AMQP_PORT:-5672}"
  if [ -n "${AMQP_URL:-}" ]; then return 0; fi
  port_open "$host" "$port" && return 0
  if ! command -v rabbitmq-server >/dev/null; then apt_install rabbitmq-server || die "RabbitMQ is not running on $host:$port and could not be installed; install rabbitmq-server or set AMQP_URL"; fi
  log "starting rabbitmq-server (takes a few seconds)"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_port "$host" "$port" 60 || die "RabbitMQ did not accept connections on $host:$port"
}
