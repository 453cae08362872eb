const DAY_MS = 24 * 60 * 60 * 1000;

/** kubeadm's CertificateValidityPeriod (365 days). */
export const LEAF_VALIDITY_MS = 365 * DAY_MS;

/** kubeadm's CACertificateValidityPeriod (10 × 365 days). */
export const CA_VALIDITY_MS = 10 * LEAF_VALIDITY_MS;

/** notBefore is set this far in the past so a peer whose clock lags a little still accepts a fresh certificate. */
export const NOT_BEFORE_BACKDATE_MS = 5 * 60 * 1000;

export interface ValidityWindow {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export function validityWindow(now: Date, validityMs: number): ValidityWindow {
  return {
    notBefore: new Date(now.getTime() - NOT_BEFORE_BACKDATE_MS),
    notAfter: new Date(now.getTime() + validityMs),
  };
}
