// CIDR arithmetic on the addresses of src/net/ip.ts: offsets inside a block and containment.
import ipaddr from "ipaddr.js";
import type { IPAddress } from "./ip.js";

export interface CIDR {
  address: IPAddress;
  prefix: number;
}

const bitsOf = (address: IPAddress): number => (address.kind() === "ipv4" ? 32 : 128);

function toBigInt(address: IPAddress): bigint {
  return address.toByteArray().reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
}

function fromBigInt(value: bigint, bits: number): IPAddress {
  const bytes: number[] = [];
  for (let shift = bits - 8; shift >= 0; shift -= 8) bytes.push(Number((value >> BigInt(shift)) & 0xffn));
  return ipaddr.fromByteArray(bytes);
}

/**
 * The address `offset` places after the network address of the block (`10.96.0.10` for offset 10 in
 * `10.96.0.1/16`); undefined when it falls outside the block.
 */
export function addressAt(cidr: CIDR, offset: bigint): IPAddress | undefined {
  const bits = bitsOf(cidr.address);
  const hostBits = BigInt(bits - cidr.prefix);
  if (offset < 0n || offset >= 1n << hostBits) return undefined;
  const network = (toBigInt(cidr.address) >> hostBits) << hostBits;
  return fromBigInt(network + offset, bits);
}

/** Whether `address` lies inside the block; addresses of the other IP family never do. */
export function cidrContains(cidr: CIDR, address: IPAddress): boolean {
  if (address.kind() !== cidr.address.kind()) return false;
  const hostBits = BigInt(bitsOf(cidr.address) - cidr.prefix);
  return toBigInt(address) >> hostBits === toBigInt(cidr.address) >> hostBits;
}
