// What each TenantControlPlane's last successful reconcile left in place: every certificate it checked or issued,
// with its expiry. The metrics read it at scrape time; a failing reconcile reads the earliest expiry from it to say
// whether the tenant is running out of time.

/** Upstream's lifecycle strategies (the label kamaji.clastix.io/certificate_lifecycle_controller); CAs have none. */
export type LifecycleStrategy = "x509" | "kubeconfig";

export interface TrackedCertificate {
  readonly secret: string;
  readonly strategy?: LifecycleStrategy;
  readonly notAfter: Date;
}

export type CertificateState = "valid" | "expiring" | "invalid";

/** valid, expiring (within the renewal deadline) or invalid (expired). */
export function certificateState(notAfter: Date, now: Date, deadlineMs: number): CertificateState {
  const left = notAfter.getTime() - now.getTime();
  if (left <= 0) return "invalid";
  return left <= deadlineMs ? "expiring" : "valid";
}

export class CertificateInventory {
  readonly #byTenant = new Map<string, readonly TrackedCertificate[]>();

  /** Replaces what is known of the TCP `key` (namespace/name). */
  record(key: string, certificates: readonly TrackedCertificate[]): void {
    this.#byTenant.set(key, certificates);
  }

  forget(key: string): void {
    this.#byTenant.delete(key);
  }

  /** The earliest expiry among the TCP's certificates, CAs included. */
  earliestExpiry(key: string): TrackedCertificate | undefined {
    let earliest: TrackedCertificate | undefined;
    for (const certificate of this.#byTenant.get(key) ?? []) {
      if (earliest === undefined || certificate.notAfter < earliest.notAfter) earliest = certificate;
    }
    return earliest;
  }

  entries(): [string, readonly TrackedCertificate[]][] {
    return [...this.#byTenant.entries()];
  }
}
