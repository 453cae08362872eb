// Labels and annotations Kamaji puts on the objects it manages (reference §0).
export const projectLabel = "kamaji.clastix.io/project";
export const nameLabel = "kamaji.clastix.io/name";
export const componentLabel = "kamaji.clastix.io/component";
export const certificateLifecycleLabel = "kamaji.clastix.io/certificate_lifecycle_controller";
export const checksumAnnotation = "kamaji.clastix.io/checksum";
export const pausedAnnotation = "kamaji.clastix.io/paused";

/** The three labels on every generated object; `component` is the resource name (e.g. `deployment`, `ca`). */
export function kamajiLabels(tcpName: string, component: string): Record<string, string> {
  return { [projectLabel]: "kamaji", [nameLabel]: tcpName, [componentLabel]: component };
}

export function isPaused(metadata: { annotations?: Record<string, string> | undefined }): boolean {
  return metadata.annotations !== undefined && pausedAnnotation in metadata.annotations;
}
