#!/usr/bin/env bash
# Builds the upstream binaries this project runs (Kubernetes, etcd, kine, konnectivity, CoreDNS, helm)
# from the Go module proxy, at the versions pinned in hack/versions.json, into a cache outside the repo.
#
#   hack/build-upstream.sh [component[@version] ...]
#
# Components: tenant@<minor> (what a tenant of that minor runs, from the "tenants" table: Kubernetes with kubelet and
# kubeadm for its workers, its CoreDNS and konnectivity), tenants (every minor of the table), kubernetes (all binaries), kubernetes-control-plane (apiserver, controller-manager, scheduler,
# kube-proxy: what a tenant version needs), conformance (e2e.test, ginkgo, agnhost, ...) and busybox (upstream's,
# for the conformance images), etcd, kine, konnectivity, coredns, helm. No argument builds all but conformance and
# busybox (only `npm run conformance` and its CI subset need them).
# A version after '@' overrides the pin, e.g. `kubernetes-control-plane@v1.33.6` for a second minor.
#
# Output: $KAMAJI_CACHE_DIR/bin/<component>-<version>/ (default cache dir /var/cache/kamaji-ts).
# Each finished directory holds a `.recipe` stamp; a directory whose stamp differs from the current recipe
# is stale and rebuilt. A second run with everything built takes seconds.
set -euo pipefail

repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
versions_file="$repo_dir/hack/versions.json"
cache_dir=${KAMAJI_CACHE_DIR:-/var/cache/kamaji-ts}
min_free_gb=${KAMAJI_MIN_FREE_GB:-12}

log() { printf '[build-upstream %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[build-upstream] error: %s\n' "$*" >&2; exit 1; }

pinned() { node -e 'const v=require(process.argv[1])[process.argv[2]]; if(!v) process.exit(1); console.log(v)' "$versions_file" "$1" \
  || die "no version for '$1' in $versions_file"; }

# A tenant minor's components as `kubernetes@v1.35.8 coredns@v1.13.1 konnectivity@v0.34.0`; `all` for every minor.
tenant_targets() { # minor|all
  node -e '
    const tenants = require(process.argv[1]).tenants;
    const minors = process.argv[2] === "all" ? Object.keys(tenants).filter((k) => k !== "$comment") : [process.argv[2]];
    for (const minor of minors) {
      const t = tenants[minor];
      if (!t) { console.error(`no tenant minor ${minor} in the tenants table (${Object.keys(tenants).filter((k) => k !== "$comment").join(", ")})`); process.exit(1); }
      console.log(`kubernetes@${t.kubernetes} coredns@${t.coredns} konnectivity@${t.konnectivity}`);
    }' "$versions_file" "$1" || die "cannot read the tenants table of $versions_file"
}

# --- preflight: Go, proxy, disk -------------------------------------------------------------------------
command -v go >/dev/null || die "Go is not installed. Install Go >= 1.24 (https://go.dev/doc/install) and rerun."
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
[[ "$go_minor" =~ ^[0-9]+$ && "$go_minor" -ge 24 ]] || die "Go $(go env GOVERSION) is too old: need go1.24 or newer."
command -v node >/dev/null || die "node is required to read $versions_file."

# Only the proxy: never fall back to 'direct' (that would fetch from VCS hosts).
proxy=$(go env GOPROXY | tr ',|' '\n\n' | grep -v -x -e direct -e off | head -n1)
[[ -n "$proxy" ]] || die "GOPROXY ($(go env GOPROXY)) names no module proxy; set GOPROXY=https://proxy.golang.org."

mkdir -p "$cache_dir" || die "cannot create cache dir $cache_dir (set KAMAJI_CACHE_DIR to a writable path)."
export GOMODCACHE="$cache_dir/go/mod" GOCACHE="$cache_dir/go/build" GOPROXY="$proxy" GOTOOLCHAIN=local \
       GOFLAGS="-mod=mod -buildvcs=false -trimpath" GOWORK=off

# The Debian release whose source packages are built here (busybox).
debian_suite=trixie

proxy_get() { curl -fsS --retry 2 -m 60 "$proxy/$1"; }

free_gb() { df -P -BG "$cache_dir" | awk 'NR==2 { sub("G","",$4); print $4 }'; }

# --- recipes --------------------------------------------------------------------------------------------
# Each recipe: writes a consumer module in $src, builds into $out. A consumer module is needed because most
# of these modules carry replace directives that `go install pkg@version` refuses (see docs/local-cluster.md).

# k8s.io/kubernetes maps its staging modules to ./staging/...; replace each with the published v0.N.M tag.
kubernetes_consumer() { # version src
  local version=$1 src=$2 mod staging
  mod=$(proxy_get "k8s.io/kubernetes/@v/$version.mod") || die "the proxy has no k8s.io/kubernetes $version"
  staging=$(sed -nE 's#^[[:space:]]*(k8s\.io/[a-z0-9-]+) => \./staging/.*#\1#p' <<<"$mod")
  [[ -n "$staging" ]] || die "no staging replaces found in k8s.io/kubernetes $version go.mod"
  {
    echo "module kamaji.local/build/kubernetes"
    grep -E '^go [0-9]' <<<"$mod"
    grep -E '^godebug ' <<<"$mod" || true
    echo "require k8s.io/kubernetes $version"
    echo "replace k8s.io/kubernetes => k8s.io/kubernetes $version"
    for m in $staging; do echo "replace $m => $m $(staging_version "$m" "v0.${version#v1.}")"; done
  } >"$src/go.mod"
}

# The staging module's tag matching the Kubernetes version; when the proxy refuses that one (it does for a few,
# e.g. k8s.io/sample-apiserver v0.34.10), the nearest earlier patch of the same minor.
staging_version() { # module v0.N.M
  local module=$1 wanted=$2 minor patch
  minor=${wanted%.*}; patch=${wanted##*.}
  for ((p = patch; p >= 0; p--)); do
    if curl -fsS -o /dev/null -I -m 30 "$proxy/$module/@v/$minor.$p.zip" 2>/dev/null; then
      ((p == patch)) || log "$module $wanted is not served by the proxy; using $minor.$p"
      echo "$minor.$p"; return
    fi
  done
  die "the proxy serves no $module $minor.x at or below $wanted"
}

kubernetes_ldflags() { # version
  local version=$1 info commit date minor
  info=$(proxy_get "k8s.io/kubernetes/@v/$version.info")
  commit=$(node -e 'const i=JSON.parse(process.argv[1]); console.log((i.Origin&&i.Origin.Hash)||"")' "$info")
  date=$(node -e 'console.log(JSON.parse(process.argv[1]).Time.replace(/\.\d+Z$/,"Z"))' "$info")
  minor=$(cut -d. -f2 <<<"$version")
  local flags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitCommit=$commit -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  echo "$flags"
}

build_kubernetes() { # version src out binaries...
  local version=$1 src=$2 out=$3; shift 3
  kubernetes_consumer "$version" "$src"
  local ldflags packages=()
  ldflags=$(kubernetes_ldflags "$version")
  for b in "$@"; do packages+=("k8s.io/kubernetes/cmd/$b"); done
  # All static, in one go build so that the binaries share every compiled package. Upstream links the kubelet
  # with cgo when it can; nothing the kubelet does here needs it, and a second cgo build of the whole tree
  # would double the cold build time.
  (cd "$src" && CGO_ENABLED=0 go build -ldflags "$ldflags" -o "$out/" "${packages[@]}")
}

simple_consumer() { # src module version go-line [extra go.mod lines...]
  local src=$1 module=$2 version=$3 goline; shift 3
  goline=$(proxy_get "$module/@v/$version.mod" | grep -E '^go [0-9]') || die "the proxy has no $module $version"
  { echo "module kamaji.local/build/consumer"; echo "$goline"; echo "require $module $version"; printf '%s\n' "$@"; } >"$src/go.mod"
}

build_component() { # name version src out
  local name=$1 version=$2 src=$3 out=$4
  case $name in
    kubernetes)
      build_kubernetes "$version" "$src" "$out" kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubeadm kubectl kubelet ;;
    kubernetes-control-plane)
      build_kubernetes "$version" "$src" "$out" kube-apiserver kube-controller-manager kube-scheduler kube-proxy ;;
    etcd)
      # etcd's own go.mod replaces its sibling modules with ../ paths; as a dependency those are ignored.
      simple_consumer "$src" go.etcd.io/etcd/server/v3 "$version" "require go.etcd.io/etcd/etcdctl/v3 $version"
      local flags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$version"
      (cd "$src" && CGO_ENABLED=0 go build -ldflags "$flags" -o "$out/etcd" go.etcd.io/etcd/server/v3 \
        && CGO_ENABLED=0 go build -ldflags "$flags" -o "$out/etcdctl" go.etcd.io/etcd/etcdctl/v3) ;;
    kine)
      # cgo for SQLite; the nats tag enables the NATS JetStream backend.
      simple_consumer "$src" github.com/k3s-io/kine "$version"
      (cd "$src" && CGO_ENABLED=1 CGO_CFLAGS="-DSQLITE_ENABLE_DBSTAT_VTAB=1 -DSQLITE_USE_ALLOCA=1" go build -tags nats \
        -ldflags "-s -w -X github.com/k3s-io/kine/pkg/version.Version=$version -X github.com/k3s-io/kine/pkg/version.GitCommit=$version" \
        -o "$out/kine" github.com/k3s-io/kine) ;;
    konnectivity)
      simple_consumer "$src" sigs.k8s.io/apiserver-network-proxy "$version" \
        "replace sigs.k8s.io/apiserver-network-proxy/konnectivity-client => sigs.k8s.io/apiserver-network-proxy/konnectivity-client $version"
      (cd "$src" && CGO_ENABLED=0 go build -ldflags "-s -w" -o "$out/proxy-server" sigs.k8s.io/apiserver-network-proxy/cmd/server \
        && CGO_ENABLED=0 go build -ldflags "-s -w" -o "$out/proxy-agent" sigs.k8s.io/apiserver-network-proxy/cmd/agent) ;;
    coredns)
      simple_consumer "$src" github.com/coredns/coredns "$version"
      (cd "$src" && CGO_ENABLED=0 go build -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$version" \
        -o "$out/coredns" github.com/coredns/coredns) ;;
    conformance)
      # The conformance suite of this Kubernetes version (e2e.test), the ginkgo it pins, the conformance image's
      # go-runner, the test images' binaries (agnhost, nonewprivs' nnp, the wardle sample-apiserver) and their data
      # files, all from the k8s.io/kubernetes module graph; then hydrophone (the SIG Testing runner), in a module of
      # its own.
      kubernetes_consumer "$version" "$src"
      local ldflags; ldflags=$(kubernetes_ldflags "$version")
      (cd "$src" && CGO_ENABLED=0 go test -c -ldflags "$ldflags" -o "$out/e2e.test" k8s.io/kubernetes/test/e2e \
        && CGO_ENABLED=0 go build -ldflags "-s -w" -o "$out/ginkgo" github.com/onsi/ginkgo/v2/ginkgo \
        && CGO_ENABLED=0 go build -ldflags "-s -w" -o "$out/go-runner" k8s.io/kubernetes/test/conformance/image/go-runner \
        && CGO_ENABLED=0 go build -ldflags "-s -w" -o "$out/agnhost" k8s.io/kubernetes/test/images/agnhost \
        && CGO_ENABLED=0 go build -ldflags "-s -w" -o "$out/nnp" k8s.io/kubernetes/test/images/nonewprivs \
        && CGO_ENABLED=0 go build -ldflags "$ldflags" -o "$out/sample-apiserver" k8s.io/sample-apiserver) || return 1
      local images="$GOMODCACHE/k8s.io/kubernetes@$version/test/images"
      mkdir -p "$out/porter" "$out/nautilus"
      cp "$images/agnhost/porter/localhost.crt" "$images/agnhost/porter/localhost.key" "$out/porter/"
      cp "$images/nautilus/html/data.json" "$images/nautilus/html/nautilus.jpg" "$out/nautilus/"
      mkdir -p "$src/hydrophone"
      simple_consumer "$src/hydrophone" sigs.k8s.io/hydrophone "$(pinned hydrophone)"
      (cd "$src/hydrophone" && CGO_ENABLED=0 go build -ldflags "-s -w" -o "$out/hydrophone" sigs.k8s.io/hydrophone) ;;
    busybox)
      # Upstream BusyBox, as the conformance tests' busybox image has it: the release tarball that Debian ships as
      # its source package's orig tarball (fetched and signature-checked by apt from Debian's registry, with an apt
      # configuration of our own), built with upstream's defaults, statically. Not Debian's build: Debian reverts
      # ash's passing on of environment variables whose names are not shell names, which the tests check. tc is
      # left out: it no longer compiles against current kernel headers.
      local apt="$src/apt"
      mkdir -p "$apt/lists/partial" "$apt/archives/partial"
      echo "deb-src http://deb.debian.org/debian $debian_suite main" >"$apt/sources.list"
      local aptopts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=-"
        -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache::Archives=$apt/archives" -o "APT::Sandbox::User=root")
      apt-get "${aptopts[@]}" update -qq
      (cd "$src" && apt-get "${aptopts[@]}" source --download-only -qq busybox)
      local tarball="$src/busybox_$version.orig.tar.bz2"
      [[ -f "$tarball" ]] || { ls "$src" >&2; echo "Debian $debian_suite has no busybox $version source" >&2; return 1; }
      tar -C "$src" -xjf "$tarball"
      (cd "$src/busybox-$version" && make defconfig >/dev/null \
        && sed -i 's/^CONFIG_TC=y/# CONFIG_TC is not set/; s/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/' .config \
        && KCONFIG_NOTIMESTAMP=1 make -j"$(nproc)" >/dev/null && cp busybox "$out/busybox") ;;
    helm)
      simple_consumer "$src" helm.sh/helm/v3 "$version"
      (cd "$src" && CGO_ENABLED=0 go build -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" \
        -o "$out/helm" helm.sh/helm/v3/cmd/helm) ;;
    *) die "unknown component '$name' (kubernetes, kubernetes-control-plane, conformance, busybox, etcd, kine, konnectivity, coredns, helm)" ;;
  esac
}

# Bump when a recipe above changes so that cached outputs built by the old recipe are rebuilt.
recipe_revision=2

ensure() { # name version
  local name=$1 version=$2 out="$cache_dir/bin/$1-$2" src="$cache_dir/src/$1-$2"
  local recipe="$name $version rev$recipe_revision $(go env GOVERSION)"
  if [[ -f "$out/.recipe" && "$(cat "$out/.recipe")" == "$recipe" ]]; then
    log "$name $version: cached in $out"
    return
  fi
  [[ -d "$out" ]] && log "$name $version: cache is stale or incomplete, rebuilding"
  local free; free=$(free_gb)
  ((free >= min_free_gb)) || die "only ${free} GiB free under $cache_dir; the builds need about ${min_free_gb} GiB. Free some space or set KAMAJI_CACHE_DIR."
  rm -rf "$out" "$out.tmp" "$src"; mkdir -p "$out.tmp" "$src"
  log "$name $version: building (log: $cache_dir/logs/$name-$version.log)"
  mkdir -p "$cache_dir/logs"
  local start=$SECONDS
  if ! build_component "$name" "$version" "$src" "$out.tmp" >"$cache_dir/logs/$name-$version.log" 2>&1; then
    tail -n 30 "$cache_dir/logs/$name-$version.log" >&2
    rm -rf "$out.tmp"
    die "$name $version failed to build; full log in $cache_dir/logs/$name-$version.log. If the proxy was unreachable, check network access to $proxy and rerun."
  fi
  echo "$recipe" >"$out.tmp/.recipe"
  mv "$out.tmp" "$out"
  log "$name $version: built in $((SECONDS - start)) s ($(du -sh "$out" | cut -f1))"
}

# --- main -----------------------------------------------------------------------------------------------
targets=("$@")
((${#targets[@]})) || targets=(kubernetes etcd kine konnectivity coredns helm)

proxy_get "k8s.io/kubernetes/@v/$(pinned kubernetes).info" >/dev/null \
  || die "cannot reach the Go module proxy at $proxy. Check network access to it (or set GOPROXY) and rerun."

expanded=()
for t in "${targets[@]}"; do
  case $t in
    tenants | tenant@*)
      minor=all; [[ $t == tenant@* ]] && minor=${t#tenant@}
      listed=$(tenant_targets "$minor") || exit 1
      read -r -a more <<<"$(tr '\n' ' ' <<<"$listed")"
      expanded+=("${more[@]}") ;;
    *) expanded+=("$t") ;;
  esac
done

for t in "${expanded[@]}"; do
  name=${t%%@*}; version=${t#*@}
  [[ $t == *@* ]] || case $name in
    kubernetes-control-plane | conformance) version=$(pinned kubernetes) ;;
    *) version=$(pinned "$name") ;;
  esac
  ensure "$name" "$version"
done
log "all done; binaries under $cache_dir/bin"
