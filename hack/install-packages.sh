#!/usr/bin/env bash
# Installs the Debian packages the node tier, the tests and the demo need; does nothing when all are present.
set -euo pipefail
packages=(
  openssl ca-certificates gcc libc6-dev iproute2 # PKI checks, the pause image, network namespaces
  containerd runc containernetworking-plugins iptables nftables conntrack socat busybox-static # the node tier
  postgresql mariadb-server nats-server # DataStore servers the tests start themselves, on loopback or in the node netns
  curl netcat-openbsd bind9-dnsutils # tools in the conformance test images (agnhost, jessie-dnsutils)
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "[packages] installing ${missing[*]}"
  # The database packages would start their own system-wide servers; the tests start private ones instead.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
