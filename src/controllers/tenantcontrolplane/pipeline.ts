// The order of the TenantControlPlane pipeline for the etcd driver (reference §2): each step may use what the
// steps before it resolved. Ingress and gateway steps come with their features.
import {
  apiServerCertificateStep,
  apiServerKubeletClientCertificateStep,
  caStep,
  frontProxyCaStep,
  frontProxyClientCertificateStep,
  serviceAccountStep,
} from "./certificates.js";
import type { PipelineStep } from "./context.js";
import { dataStoreCertificateStep, dataStoreConfigStep, dataStoreSetupStep } from "./datastore-steps.js";
import { adminKubeconfigStep, controllerManagerKubeconfigStep, schedulerKubeconfigStep } from "./kubeconfigs.js";
import { konnectivityEgressSelectorStep, konnectivityKubeconfigStep } from "./konnectivity-steps.js";
import { removeUnwantedStep } from "./optional-objects.js";
import { recordRotationsStep } from "./rotation.js";
import { migrationCleanupStep, migrationStep } from "./migration.js";
import { upgradeStep } from "./upgrade-step.js";
import { deploymentStep, kubeadmConfigStep, serviceStep } from "./workload-steps.js";

export const pipeline: readonly PipelineStep[] = [
  migrationStep,
  upgradeStep,
  serviceStep,
  kubeadmConfigStep,
  caStep,
  frontProxyCaStep,
  serviceAccountStep,
  apiServerCertificateStep,
  apiServerKubeletClientCertificateStep,
  frontProxyClientCertificateStep,
  adminKubeconfigStep,
  controllerManagerKubeconfigStep,
  schedulerKubeconfigStep,
  dataStoreConfigStep,
  dataStoreSetupStep,
  dataStoreCertificateStep,
  konnectivityEgressSelectorStep,
  konnectivityKubeconfigStep,
  deploymentStep,
  removeUnwantedStep,
  recordRotationsStep,
  migrationCleanupStep,
];
