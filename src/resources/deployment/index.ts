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
  optionalComponentSecrets,
  type ComponentSecret,
  type SecretChecksums,
  type ControlPlaneDeploymentInput,
  type DataStoreOverrideEndpoints,
  type Deployment,
  type DeploymentDataStore,
  type ImagePullPolicy,
} from "./input.js";
