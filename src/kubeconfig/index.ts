export { KubeconfigError } from "./errors.js";
export type { Kubeconfig, KubeconfigCluster, KubeconfigContext, KubeconfigUser } from "./kubeconfig.js";
export { renderKubeconfig } from "./render.js";
export { parseKubeconfig } from "./parse.js";
export { type CertificateKubeconfigRequest, buildCertificateKubeconfig } from "./build.js";
export { type ResolvedContext, resolveCurrentContext } from "./current-context.js";
