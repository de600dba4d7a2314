#!/bin/sh
# Chooses what the VoltQ image runs: one of the six services, the pile simulator, or any other command.
#   <image> auth                       -> services/auth/src/main.ts   (argument wins over $SERVICE)
#   <image>                            -> services/$SERVICE/src/main.ts (SERVICE comes from the build arg)
#   <image> simulate-piles --url ...   -> the pile simulator with its arguments
#   <image> sh                         -> a shell (anything else is exec'd as given)
set -eu
# the image keeps the repository in /app; resolve from this script so it also runs from a checkout
cd "$(dirname "$0")/.."
target="${1:-${SERVICE:-}}"
[ "$#" -gt 0 ] && shift
case "$target" in
  gateway|auth|order|scheduler|billing|device-bridge)
    # exec: node becomes PID 1 and receives SIGTERM itself (kit's graceful shutdown)
    exec node --import tsx "services/$target/src/main.ts" "$@" ;;
  simulate-piles)
    exec node --import tsx packages/pile-sim/src/cli.ts "$@" ;;
  "")
    echo "voltq: no service given (argument or SERVICE): gateway auth order scheduler billing device-bridge simulate-piles" >&2
    exit 64 ;;
  *)
    exec "$target" "$@" ;;
esac
