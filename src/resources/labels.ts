// Labels and annotations Kamaji puts on the objects it manages (reference §0).
export const projectLabel = "kamaji.clastix.io/project";
export const nameLabel = "kamaji.clastix.io/name";
export const componentLabel = "kamaji.clastix.io/component";
export const certificateLifecycleLabel = "kamaji.clastix.io/certificate_lifecycle_controller";
export const checksumAnnotation = "kamaji.clastix.io/checksum";
export const pausedAnnotation = "kamaji.clastix.io/paused";
/** Upstream's rotation request: set it to "" and Kamaji re-issues, then writes back the RFC 3339 time it did so. */
export const rotateAnnotation = "certs.kamaji.clastix.io/rotate";

/** The three labels on every generated object; `component` is the resource name (e.g. `deployment`, `ca`). */
export function kamajiLabels(tcpName: string, component: string): Record<string, string> {
  return { [projectLabel]: "kamaji", [nameLabel]: tcpName, [componentLabel]: component };
}

export function isPaused(metadata: { annotations?: Record<string, string> | undefined }): boolean {
  return metadata.annotations !== undefined && pausedAnnotation in metadata.annotations;
}

/** Whether `metadata` asks for a rotation: the annotation is there and does not hold the time of one already done. */
export function rotationRequested(metadata: { annotations?: Record<string, string> | undefined } | undefined): boolean {
  const value = metadata?.annotations?.[rotateAnnotation];
  return value !== undefined && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value);
}
