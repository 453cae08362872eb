// Admission rules of TenantControlPlane, as pure functions: defaulting (mutating webhook) and validation.
export { defaultDnsServiceIPs, defaultTenantControlPlane, type DefaultingOptions } from "./defaulting.js";
export { validateCertSANs } from "./cert-sans.js";
export { validateDataStoreOnCreate, validateDataStoreOnUpdate } from "./datastore.js";
export { validateDnsServiceIPs } from "./dns-service-ips.js";
export {
  changedDeploymentAdditions,
  deploymentConfigurationError,
  validateDeploymentOnUpdate,
  type DeploymentDryRun,
} from "./deployment-dry-run.js";
export { dryRunDeploymentInput } from "./deployment-input.js";
export { validateGateway, type GatewayApiDiscovery } from "./gateway.js";
export { validatePreferredAddressTypes } from "./kubelet-address-types.js";
export { validateName } from "./name.js";
export { validateVersionOnCreate, validateVersionOnUpdate } from "./version.js";
export {
  allTenantControlPlaneDenials,
  validateTenantControlPlane,
  type ClusterState,
  type ValidationRequest,
} from "./validation.js";
export { AdmissionDenied } from "../admission-denied.js";
