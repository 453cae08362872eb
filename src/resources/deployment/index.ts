export { buildControlPlaneDeployment } from "./build.js";
export { apiServerArgsAnnotation } from "./api-server.js";
export {
  dataStoreLabel,
  secretChecksumLabel,
  storageCertificateAnnotation,
  storageConfigAnnotation,
} from "./metadata.js";
export {
  componentSecrets,
  type ComponentSecret,
  type ControlPlaneDeploymentInput,
  type DataStoreOverrideEndpoints,
  type Deployment,
  type DeploymentDataStore,
  type ImagePullPolicy,
} from "./input.js";
