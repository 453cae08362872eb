// A tenant's LAN: the network its worker machines share, as a data centre would give them. A router netns holds
// the workers' bridge and an uplink into the management node's netns; it masquerades what the workers send up and
// forwards nothing new that comes down, and the management node has no route to the workers' subnet. So workers
// reach the tenant's endpoint (and konnectivity server) like machines behind NAT, while the control-plane pods
// cannot reach them at all: the API server gets to kubelets only through the konnectivity tunnel. The router has
// no default route, so nothing a worker sends leaves this machine.
import { inNetns } from "../machine/commands.js";
import { connectVeth, createNetns, deleteNetns, replaceRoute } from "../machine/network.js";
import { lanAddressing, lanResourceNames, type LanAddressing } from "./plan.js";
import type { LanState } from "./types.js";

export const lanBridge = "lan0";
const uplink = (lan: LanState) => `${lan.nodeVeth}r`;

export function lanState(tenant: string, index: number): LanState {
  return { tenant, index, ...lanResourceNames(tenant) };
}

/** Creates the router netns, its bridge and uplink, and the route to each of the tenant's endpoint addresses. */
export function createLan(lan: LanState, nodeNetns: string, endpointAddresses: readonly string[]): LanAddressing {
  const a = lanAddressing(lan.index);
  createNetns(lan.netns);
  inNetns(lan.netns, "ip", ["link", "add", lanBridge, "type", "bridge"]);
  inNetns(lan.netns, "ip", ["addr", "add", `${a.gateway}/24`, "dev", lanBridge]);
  inNetns(lan.netns, "ip", ["link", "set", lanBridge, "up"]);
  connectVeth(
    { netns: nodeNetns, name: lan.nodeVeth, address: `${a.uplinkNode}/30` },
    { netns: lan.netns, name: uplink(lan), address: `${a.uplinkRouter}/30` },
  );
  inNetns(lan.netns, "sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
  for (const address of endpointAddresses) routeEndpoint(lan, address);
  const rules = [
    `*nat`,
    `-A POSTROUTING -o ${uplink(lan)} -j MASQUERADE`,
    `COMMIT`,
    `*filter`,
    `-A FORWARD -i ${uplink(lan)} -m conntrack --ctstate NEW -j DROP`,
    `COMMIT`,
    ``,
  ].join("\n");
  inNetns(lan.netns, "iptables-restore", [], rules);
  return a;
}

/** Routes the tenant's endpoint address up to the management node. */
export function routeEndpoint(lan: LanState, address: string): void {
  replaceRoute(lan.netns, `${address}/32`, lanAddressing(lan.index).uplinkNode);
}

/** Routes a worker's pod range to it (the router's table, as a cloud VPC's route table would). */
export function routePodRange(lan: LanState, podCIDR: string, workerAddress: string): void {
  replaceRoute(lan.netns, podCIDR, workerAddress);
}

export function removePodRange(lan: LanState, podCIDR: string): void {
  try {
    inNetns(lan.netns, "ip", ["route", "del", podCIDR]);
  } catch {
    // already gone
  }
}

/** The uplink's node end goes with its peer. */
export function deleteLan(lan: LanState): void {
  deleteNetns(lan.netns);
}
