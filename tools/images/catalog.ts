// The images the local clusters and the tenants run, under their upstream names, built from the binaries in
// the cache (hack/build-upstream.sh) and Debian's busybox/iptables.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { binary, cacheDir, kubernetesBinary, tenantRelease, versions } from "../upstream.js";
import type { ImageSpec } from "./oci-image.js";

const busybox = "/bin/busybox";

function requireFile(path: string, hint: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${hint}`);
  return path;
}

/** Our own static pause binary (tools/images/pause.c), compiled once into the cache. */
function pauseBinary(): string {
  const source = new URL("pause.c", import.meta.url).pathname;
  const output = join(cacheDir, "bin", "pause", "pause");
  if (!existsSync(output) || statSync(output).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(join(cacheDir, "bin", "pause"), { recursive: true });
    execFileSync("gcc", ["-O2", "-static", "-o", output, source]);
  }
  return output;
}

export function pauseImage(): ImageSpec {
  return {
    name: `registry.k8s.io/pause:${versions.pause}`,
    files: [{ source: pauseBinary(), target: "/pause" }],
    entrypoint: ["/pause"],
    user: "65535:65535",
  };
}

/** kube-apiserver, kube-controller-manager, kube-scheduler of a Kubernetes version (the tenant images). */
export function controlPlaneImages(version = versions.kubernetes): ImageSpec[] {
  return ["kube-apiserver", "kube-controller-manager", "kube-scheduler"].map((name) => ({
    name: `registry.k8s.io/${name}:${version}`,
    files: [{ source: kubernetesBinary(name, version), target: `/usr/local/bin/${name}` }],
    entrypoint: [`/usr/local/bin/${name}`],
  }));
}

/**
 * Everything a tenant of `kubernetesVersion`'s minor runs, in the management cluster (control plane, konnectivity
 * server) and on its workers (kube-proxy, CoreDNS, konnectivity agent), at the releases of the `tenants` table.
 */
export function tenantVersionImages(kubernetesVersion: string): ImageSpec[] {
  const release = tenantRelease(kubernetesVersion);
  return [
    ...controlPlaneImages(release.kubernetes),
    kubeProxyImage(release.kubernetes),
    corednsImage(release.coredns),
    ...konnectivityImages(release.konnectivity),
  ];
}

/** iptables' match and target modules, loaded at run time (conntrack, statistic, comment, ...). */
const xtablesModules = "/usr/lib/x86_64-linux-gnu/xtables";

/** kube-proxy with the iptables/nftables tools it drives, and their modules with the libraries those link. */
export function kubeProxyImage(version = versions.kubernetes): ImageSpec {
  const xtables = requireFile("/usr/sbin/xtables-nft-multi", "apt-get install iptables");
  const linkedModules = ["libxt_connlabel.so", "libxt_statistic.so", "libxt_RATEEST.so"].map((name) => ({
    source: join(xtablesModules, name),
    target: join(xtablesModules, name),
    withLibraries: true,
  }));
  const tools = ["iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore"];
  return {
    name: `registry.k8s.io/kube-proxy:${version}`,
    files: [
      { source: kubernetesBinary("kube-proxy", version), target: "/usr/local/bin/kube-proxy" },
      { source: xtables, target: "/usr/sbin/xtables-nft-multi", withLibraries: true },
      {
        source: requireFile("/usr/sbin/nft", "apt-get install nftables"),
        target: "/usr/sbin/nft",
        withLibraries: true,
      },
      ...linkedModules,
    ],
    trees: [{ source: xtablesModules, target: xtablesModules }],
    links: Object.fromEntries(tools.map((t) => [`/usr/sbin/${t}`, "xtables-nft-multi"])),
    entrypoint: ["/usr/local/bin/kube-proxy"],
  };
}

export function corednsImage(version = versions.coredns): ImageSpec {
  return {
    name: `registry.k8s.io/coredns/coredns:${version}`,
    files: [{ source: binary("coredns", "coredns", version), target: "/coredns" }],
    entrypoint: ["/coredns"],
  };
}

/** kine, with a shell for the control plane's certificate-copying init container. */
export function kineImage(): ImageSpec {
  return {
    name: `docker.io/rancher/kine:${versions.kine}`,
    files: [
      { source: binary("kine", "kine"), target: "/bin/kine", withLibraries: true },
      { source: requireFile(busybox, "apt-get install busybox-static"), target: "/bin/busybox" },
    ],
    links: { "/bin/sh": "busybox", "/bin/cp": "busybox", "/bin/chmod": "busybox" },
    entrypoint: ["/bin/kine"],
  };
}

/** etcd and etcdctl, with a shell for the datastore chart's bootstrap job; named like kubeadm's etcd image. */
export function etcdImage(version = versions.etcd): ImageSpec {
  const applets = ["sh", "test", "echo", "cat", "sleep"];
  return {
    name: `registry.k8s.io/etcd:${version.slice(1)}-0`,
    files: [
      { source: binary("etcd", "etcd", version), target: "/usr/local/bin/etcd" },
      { source: binary("etcd", "etcdctl", version), target: "/usr/local/bin/etcdctl" },
      { source: requireFile(busybox, "apt-get install busybox-static"), target: "/bin/busybox" },
    ],
    links: Object.fromEntries(applets.map((a) => [`/bin/${a}`, "busybox"])),
    entrypoint: ["/usr/local/bin/etcd"],
  };
}

export function konnectivityImages(version = versions.konnectivity): ImageSpec[] {
  return (["proxy-server", "proxy-agent"] as const).map((name) => ({
    name: `registry.k8s.io/kas-network-proxy/${name}:${version}`,
    files: [{ source: binary("konnectivity", name, version), target: `/${name}` }],
    entrypoint: [`/${name}`],
  }));
}

/** A small web server for tests: busybox httpd serving /www on port 8080. */
export function testImage(): ImageSpec {
  const applets = [
    "sh",
    "httpd",
    "wget",
    "nslookup",
    "sleep",
    "cat",
    "echo",
    "nc",
    "ip",
    "hostname",
    "date",
    "tail",
    "timeout",
  ];
  return {
    name: "kamaji.local/test/busybox:1",
    files: [{ source: requireFile(busybox, "apt-get install busybox-static"), target: "/bin/busybox" }],
    links: Object.fromEntries(applets.map((a) => [`/bin/${a}`, "busybox"])),
    entrypoint: ["/bin/sh", "-c"],
    cmd: ["mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"],
  };
}

/** Debian's busybox under the official image's name and version, with every applet in /bin and `sh` as command. */
export function busyboxImage(): ImageSpec {
  const source = requireFile(busybox, "apt-get install busybox-static");
  const version = /BusyBox v(\d+\.\d+\.\d+)/.exec(execFileSync(source, ["--help"], { encoding: "utf8" }))?.[1];
  if (!version) throw new Error(`${source} --help printed no BusyBox version`);
  const applets = execFileSync(source, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  return {
    name: `docker.io/library/busybox:${version}`,
    files: [{ source, target: "/bin/busybox" }],
    links: Object.fromEntries(applets.filter((a) => a !== "busybox").map((a) => [`/bin/${a}`, "busybox"])),
    entrypoint: [],
    cmd: ["sh"],
  };
}

/** kubectl with a busybox shell, under the name of upstream's kubectl image: a client pod for tests. */
export function kubectlImage(version = versions.kubernetes): ImageSpec {
  const applets = ["sh", "cat", "cp", "date", "echo", "head", "tail", "sleep"];
  return {
    name: `registry.k8s.io/kubectl:${version}`,
    files: [
      { source: kubernetesBinary("kubectl", version), target: "/bin/kubectl" },
      { source: requireFile(busybox, "apt-get install busybox-static"), target: "/bin/busybox" },
    ],
    links: Object.fromEntries(applets.map((a) => [`/bin/${a}`, "busybox"])),
    entrypoint: ["/bin/kubectl"],
  };
}
