#!/usr/bin/env bash
# Installs the Debian packages the node tier, the tests and the demo need; does nothing when all are present.
set -euo pipefail
packages=(
  openssl ca-certificates gcc libc6-dev iproute2 # PKI checks, the pause image, network namespaces
  containerd runc containernetworking-plugins iptables nftables conntrack socat busybox-static # the node tier
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "[packages] installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
