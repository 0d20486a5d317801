#!/usr/bin/env bash
# Ensures a software TPM 2.0 (swtpm, from Debian's packages) for the custody tests and exports
# KONFIDO_TEST_TPM=host:port (the raw TPM 2.0 command port; KONFIDO_TPM too, for the CLI, unless set).
# Source it: `. scripts/test-setup.d/20-swtpm.sh`.
# - KONFIDO_TEST_TPM already set and reachable: that TPM is used as it is.
# - Otherwise swtpm is installed if missing, and one instance with its state under
#   ${KONFIDO_TPM_DIR:-/tmp/konfido-swtpm} is started on 127.0.0.1:${KONFIDO_TPM_PORT:-2321}
#   (control channel on the next port); an instance already listening there is reused.
konfido_tpm_main() {
  konfido_tpm_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
  # True if host:port answers TPM2_GetRandom(8) with TPM_RC_SUCCESS (raw TPM 2.0 command bytes).
  konfido_tpm_answers() {
    local reply
    reply=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
      printf "\x80\x01\x00\x00\x00\x0c\x00\x00\x01\x7b\x00\x08" >&3
      head -c 10 <&3 | od -An -tx1' "$1" "$2" 2>/dev/null | tr -d ' \n')
    [ "$reply" = "80010000001400000000" ]
  }
  if [ -n "${KONFIDO_TEST_TPM:-}" ]; then
    if konfido_tpm_open "${KONFIDO_TEST_TPM%:*}" "${KONFIDO_TEST_TPM##*:}"; then
      echo "swtpm: using KONFIDO_TEST_TPM=$KONFIDO_TEST_TPM from the environment" >&2
      return 0
    fi
    echo "swtpm: KONFIDO_TEST_TPM=$KONFIDO_TEST_TPM does not answer; starting a local one" >&2
  fi
  local port="${KONFIDO_TPM_PORT:-2321}" dir="${KONFIDO_TPM_DIR:-/tmp/konfido-swtpm}"
  local ctrl=$((port + 1))
  if ! command -v swtpm >/dev/null 2>&1; then
    echo "swtpm: not installed; installing from Debian's packages" >&2
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends swtpm swtpm-tools >&2 \
      || { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
           && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends swtpm swtpm-tools >&2; } \
      || { echo "swtpm: installation failed" >&2; return 1; }
  fi
  if konfido_tpm_open 127.0.0.1 "$port"; then
    if konfido_tpm_answers 127.0.0.1 "$port"; then
      echo "swtpm: already running on 127.0.0.1:$port" >&2
    else
      echo "swtpm: something listens on 127.0.0.1:$port but does not answer TPM 2.0 commands (set KONFIDO_TPM_PORT)" >&2
      return 1
    fi
  else
    mkdir -p "$dir/state"
    # A stale pid file from an instance that died is harmless: swtpm rewrites it.
    echo "swtpm: starting a TPM 2.0 on 127.0.0.1:$port ($dir)" >&2
    swtpm socket --tpm2 --daemon \
      --server "type=tcp,port=$port,bindaddr=127.0.0.1" \
      --ctrl "type=tcp,port=$ctrl,bindaddr=127.0.0.1" \
      --tpmstate "dir=$dir/state" \
      --pid "file=$dir/swtpm.pid" \
      --log "file=$dir/swtpm.log" \
      --flags not-need-init,startup-clear \
      || { echo "swtpm: could not start (see $dir/swtpm.log)" >&2; return 1; }
    local i
    for i in $(seq 1 50); do
      konfido_tpm_open 127.0.0.1 "$port" && break
      sleep 0.1
    done
    konfido_tpm_open 127.0.0.1 "$port" || { echo "swtpm: not listening on port $port (see $dir/swtpm.log)" >&2; return 1; }
  fi
  export KONFIDO_TEST_TPM="127.0.0.1:$port"
  export KONFIDO_TPM="${KONFIDO_TPM:-$KONFIDO_TEST_TPM}"
}
konfido_tpm_main
