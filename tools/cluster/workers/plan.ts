// Pure rules of the worker machines: names, addresses, the version-skew policy, and reading what kubeadm prints
// and writes. The side effects live in lan.ts, machine.ts and join.ts.
import { createHash, X509Certificate } from "node:crypto";

/** A worker is a Node of its tenant: its name must be a DNS label, short enough for our derived names. */
export function workerNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name))
    return `worker name ${JSON.stringify(name)} is not a DNS label (lowercase letters, digits and '-', alphanumeric at both ends)`;
  if (name.length > 40) return `worker name ${JSON.stringify(name)} is longer than 40 characters`;
  return undefined;
}

const shortHash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 8);

/** Host-visible names of a worker: netns, cgroup root, and the LAN-side veth (interface names: 15 characters). */
export function workerResourceNames(name: string): { netns: string; cgroupRoot: string; lanVeth: string } {
  return { netns: `kamaji-w-${name}`, cgroupRoot: `kamaji-w-${name}`, lanVeth: `kw${shortHash(name)}` };
}

/** The tenant's LAN (one router netns per tenant) and its uplink veth in the management node's netns. */
export function lanResourceNames(tenant: string): { netns: string; nodeVeth: string } {
  const hash = shortHash(tenant);
  return { netns: `kamaji-lan-${hash}`, nodeVeth: `kl${hash}` };
}

/** `<tcp>-w<i>` for the first free indexes. */
export function defaultWorkerNames(tcp: string, taken: readonly string[], count: number): string[] {
  const names: string[] = [];
  for (let i = 1; names.length < count; i++) {
    const name = `${tcp}-w${i}`;
    if (!taken.includes(name)) names.push(name);
  }
  return names;
}

/** Tenant LANs are numbered from 0; each gets a /30 uplink and a /24 of its own. */
export const maxLans = 64;
export const lanUplinkRange = "172.31.253.0/24";
export const lanSubnetRange = "172.30.0.0/16";

export interface LanAddressing {
  /** The management node's end of the uplink, and the router's. */
  uplinkNode: string;
  uplinkRouter: string;
  /** The workers' subnet and the router's address in it (their gateway). */
  subnet: string;
  gateway: string;
}

export function lanAddressing(index: number): LanAddressing {
  if (!Number.isInteger(index) || index < 0 || index >= maxLans) throw new Error(`LAN index ${index} out of range`);
  return {
    uplinkNode: `172.31.253.${4 * index + 1}`,
    uplinkRouter: `172.31.253.${4 * index + 2}`,
    subnet: `172.30.${index}.0/24`,
    gateway: `172.30.${index}.1`,
  };
}

export function firstFree(taken: readonly number[], limit: number, what: string): number {
  for (let i = 0; i < limit; i++) if (!taken.includes(i)) return i;
  throw new Error(`no free ${what}: all ${limit} are in use`);
}

/** Workers take host numbers 10.. in their LAN's /24. */
export const workerAddress = (lan: LanAddressing, host: number): string =>
  `${lan.subnet.split(".").slice(0, 3).join(".")}.${10 + host}`;

const minor = (version: string): { major: number; minor: number } | undefined => {
  const match = /^v?(\d+)\.(\d+)\.\d+/.exec(version);
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
};

/**
 * Kubernetes' version-skew policy for a kubelet joining a control plane: never a newer minor than the API
 * server, and at most three minors older.
 */
export function kubeletSkewProblem(kubelet: string, controlPlane: string): string | undefined {
  const k = minor(kubelet);
  const c = minor(controlPlane);
  if (!k) return `kubelet version ${JSON.stringify(kubelet)} is not a version like v1.34.10`;
  if (!c) return `control-plane version ${JSON.stringify(controlPlane)} is not a version like v1.34.10`;
  if (k.major !== c.major || k.minor > c.minor)
    return `kubelet ${kubelet} is newer than the control plane ${controlPlane}: the version-skew policy allows kubelets up to the control plane's minor, never newer`;
  if (c.minor - k.minor > 3)
    return `kubelet ${kubelet} is more than three minors older than the control plane ${controlPlane}`;
  return undefined;
}

export interface JoinCommand {
  endpoint: string;
  token: string;
  caCertHash: string;
}

/** Reads `kubeadm token create --print-join-command`'s output. */
export function parseJoinCommand(output: string): JoinCommand {
  const words = output.trim().split(/\s+/);
  const flag = (name: string) => {
    const at = words.indexOf(name);
    return at >= 0 ? words[at + 1] : undefined;
  };
  const endpoint = words[0] === "kubeadm" && words[1] === "join" ? words[2] : undefined;
  const token = flag("--token");
  const caCertHash = flag("--discovery-token-ca-cert-hash");
  if (!endpoint || endpoint.startsWith("-") || !token || !caCertHash)
    throw new Error(`unexpected output of kubeadm token create --print-join-command: ${JSON.stringify(output)}`);
  return { endpoint, token, caCertHash };
}

/** A bootstrap token is `<6 chars>.<16 chars>` of [a-z0-9]; its id names the Secret that holds it. */
export function bootstrapTokenId(token: string): string {
  const match = /^([a-z0-9]{6})\.[a-z0-9]{16}$/.exec(token);
  if (!match?.[1]) throw new Error(`token ${JSON.stringify(token)} is not a bootstrap token (abcdef.0123456789abcdef)`);
  return match[1];
}

/**
 * The kubelet's arguments as kubeadm's systemd drop-in (10-kubeadm.conf) gives them: the bootstrap and final
 * kubeconfigs, the config kubeadm wrote, then KUBELET_KUBEADM_ARGS from kubeadm-flags.env.
 */
export function kubeletServiceArgs(kubeadmFlagsEnv: string): string[] {
  const match = /^KUBELET_KUBEADM_ARGS="([^"]*)"/m.exec(kubeadmFlagsEnv);
  if (!match) throw new Error(`kubeadm-flags.env has no KUBELET_KUBEADM_ARGS: ${JSON.stringify(kubeadmFlagsEnv)}`);
  return [
    "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
    "--kubeconfig=/etc/kubernetes/kubelet.conf",
    "--config=/var/lib/kubelet/config.yaml",
    ...(match[1] ?? "").split(/\s+/).filter((word) => word !== ""),
  ];
}

/** kubeadm's `--discovery-token-ca-cert-hash`: sha256 of the CA certificate's SubjectPublicKeyInfo. */
export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}

/** When a bootstrap token Secret's `expiration` (RFC 3339) has passed, the time it expired. */
export function tokenExpiredAt(expiration: string | undefined, now: Date): string | undefined {
  if (!expiration) return undefined;
  const at = Date.parse(expiration);
  return Number.isNaN(at) || at > now.getTime() ? undefined : expiration;
}
