// Network namespaces, veth pairs and routes of the local machines. Every namespace made here has no default route
// of its own to the outside: the host reaches it through routes we add, and nothing it sends leaves this machine.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { inNetns, run, succeeds } from "./commands.js";

export interface HostRoute {
  destination: string;
  via: string;
  device: string;
}

const netnsDir = "/var/run/netns";

export const netnsExists = (name: string): boolean => existsSync(`${netnsDir}/${name}`);
export const linkExists = (name: string): boolean => succeeds("ip", ["link", "show", name]);

/** Mount points under any of `prefixes` (in this process's mount namespace), deepest first. */
export function mountsUnder(prefixes: string[]): string[] {
  const points = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => (line.split(" ")[4] ?? "").replaceAll("\\040", " "))
    .filter((point) => prefixes.some((prefix) => point === prefix || point.startsWith(`${prefix}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export const isMountPoint = (path: string): boolean => mountsUnder([path]).includes(path);

/** Creates a netns with loopback up; true when /run/netns became a mount point because of it. */
export function createNetns(name: string): boolean {
  const wasMounted = isMountPoint("/run/netns");
  run("ip", ["netns", "add", name]);
  inNetns(name, "ip", ["link", "set", "lo", "up"]);
  return !wasMounted && isMountPoint("/run/netns");
}

/** Deletes a netns (its links, bridges and iptables go with it); a missing one is fine. */
export function deleteNetns(name: string): void {
  if (netnsExists(name)) run("ip", ["netns", "del", name]);
}

/** `ip netns add` mounts /run/netns once; unmount it again when we made it a mount point and it is empty. */
export function releaseNetnsDir(weMounted: boolean | undefined): void {
  if (weMounted && existsSync(netnsDir) && readdirSync(netnsDir).length === 0) {
    while (isMountPoint("/run/netns") && succeeds("umount", ["/run/netns"]));
  }
}

export interface VethEnd {
  /** The namespace of this end; undefined for the host's. */
  netns?: string;
  /** Its name in that namespace. */
  name: string;
  /** Address with prefix length, e.g. 172.31.254.1/30. */
  address?: string;
  /** A bridge in the same namespace to attach this end to. */
  bridge?: string;
}

const onEnd = (end: VethEnd, args: string[]) => (end.netns ? inNetns(end.netns, "ip", args) : run("ip", args));
const placed = (end: VethEnd) => ["name", end.name, ...(end.netns ? ["netns", end.netns] : [])];

/**
 * A veth pair between two namespaces (or a namespace and the host), addressed and up. Each end is made directly in
 * its namespace, so a failure never leaves a link behind on the host (deleting a namespace removes its end).
 */
export function connectVeth(a: VethEnd, b: VethEnd): void {
  run("ip", ["link", "add", ...placed(a), "type", "veth", "peer", ...placed(b)]);
  for (const end of [a, b]) {
    if (end.address) onEnd(end, ["addr", "add", end.address, "dev", end.name]);
    if (end.bridge) onEnd(end, ["link", "set", end.name, "master", end.bridge]);
    onEnd(end, ["link", "set", end.name, "up"]);
  }
}

/** Adds a route in `netns` (or the host's routing table), replacing one to the same destination. */
export function replaceRoute(netns: string | undefined, destination: string, via: string): void {
  const args = ["route", "replace", destination, "via", via];
  if (netns) inNetns(netns, "ip", args);
  else run("ip", args);
}

export function hostRoutePresent(route: HostRoute): boolean {
  return run("ip", ["route", "show", route.destination]).includes(`via ${route.via}`);
}

export function addHostRoute(route: HostRoute): void {
  run("ip", ["route", "add", route.destination, "via", route.via, "dev", route.device]);
}

export function deleteHostRoute(route: HostRoute): void {
  if (hostRoutePresent(route)) succeeds("ip", ["route", "del", route.destination, "via", route.via]); // may vanish with the veth
  if (hostRoutePresent(route)) throw new Error(`could not delete the host route ${route.destination} via ${route.via}`);
}

/**
 * Deletes a host veth whose peer lived in a deleted netns: the kernel may remove it by itself a moment later,
 * so a failed delete counts only if the link is still there.
 */
export function deleteHostVeth(name: string | undefined): void {
  if (name && !succeeds("ip", ["link", "del", name]) && linkExists(name))
    throw new Error(`could not delete the host veth ${name}`);
}
