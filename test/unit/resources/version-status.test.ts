import { test } from "node:test";
import assert from "node:assert/strict";
import type { V1Deployment } from "@kubernetes/client-node";
import type { Json } from "../../../src/api/k8s-types.js";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import type { VersionStatus } from "../../../src/api/v1alpha1/tenantcontrolplane.js";
import { isRolloutComplete, versionStatusFromDeployment } from "../../../src/resources/version-status.js";

type Deployment = Json<V1Deployment>;

interface TenantOptions {
  replicas?: number;
  specVersion?: string;
  installedVersion?: string;
  writePermissions?: { blockCreation?: boolean; blockUpdate?: boolean; blockDeletion?: boolean };
}

function tenantControlPlane(options: TenantOptions = {}): TenantControlPlane {
  return {
    apiVersion: "kamaji.clastix.io/v1alpha1",
    kind: "TenantControlPlane",
    metadata: { name: "tenant-a", namespace: "tenants" },
    spec: {
      controlPlane: {
        service: { serviceType: "ClusterIP" },
        ...(options.replicas === undefined ? {} : { deployment: { replicas: options.replicas } }),
      },
      kubernetes: { version: options.specVersion ?? "v1.34.10", kubelet: {} },
      ...(options.writePermissions ? { writePermissions: options.writePermissions } : {}),
    },
    ...(options.installedVersion === undefined
      ? {}
      : { status: { kubernetesResources: { version: { version: options.installedVersion } } } }),
  };
}

/** A Deployment of 2 replicas whose rollout is over; `edit` breaks it in one place. */
function deployment(edit: (d: Deployment) => void = () => undefined): Deployment {
  const d: Deployment = {
    metadata: { name: "tenant-a", namespace: "tenants", generation: 4 },
    spec: { replicas: 2, selector: { matchLabels: { "kamaji.clastix.io/name": "tenant-a" } }, template: {} },
    status: { observedGeneration: 4, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
  };
  edit(d);
  return d;
}

const rollingOut = deployment((d) => {
  d.metadata = { ...d.metadata, generation: 5 };
});

interface Case {
  name: string;
  tcp: TenantControlPlane;
  deployment: Deployment;
  expected: VersionStatus;
}

const cases: Case[] = [
  {
    name: "Sleeping: the tenant asks for 0 replicas, whatever the Deployment says",
    tcp: tenantControlPlane({ replicas: 0, installedVersion: "v1.34.10" }),
    deployment: deployment(),
    expected: "Sleeping",
  },
  {
    name: "Sleeping wins over NotReady",
    tcp: tenantControlPlane({ replicas: 0 }),
    deployment: deployment((d) => {
      d.status = { observedGeneration: 4 };
    }),
    expected: "Sleeping",
  },
  {
    name: "NotReady: no ready replica",
    tcp: tenantControlPlane({ installedVersion: "v1.34.10" }),
    deployment: deployment((d) => {
      d.status = { ...d.status, readyReplicas: 0 };
    }),
    expected: "NotReady",
  },
  {
    name: "NotReady: a Deployment without status",
    tcp: tenantControlPlane(),
    deployment: deployment((d) => {
      delete d.status;
    }),
    expected: "NotReady",
  },
  {
    name: "NotReady wins over WriteLimited",
    tcp: tenantControlPlane({ writePermissions: { blockCreation: true } }),
    deployment: deployment((d) => {
      d.status = { ...d.status, readyReplicas: 0 };
    }),
    expected: "NotReady",
  },
  {
    name: "WriteLimited: blockCreation",
    tcp: tenantControlPlane({ installedVersion: "v1.34.10", writePermissions: { blockCreation: true } }),
    deployment: deployment(),
    expected: "WriteLimited",
  },
  {
    name: "WriteLimited: blockUpdate, even while rolling out",
    tcp: tenantControlPlane({ writePermissions: { blockUpdate: true } }),
    deployment: rollingOut,
    expected: "WriteLimited",
  },
  {
    name: "WriteLimited: blockDeletion",
    tcp: tenantControlPlane({ writePermissions: { blockDeletion: true } }),
    deployment: deployment(),
    expected: "WriteLimited",
  },
  {
    name: "all write permissions false is no limitation",
    tcp: tenantControlPlane({
      installedVersion: "v1.34.10",
      writePermissions: { blockCreation: false, blockUpdate: false, blockDeletion: false },
    }),
    deployment: deployment(),
    expected: "Ready",
  },
  {
    name: "Ready: the rollout is over",
    tcp: tenantControlPlane({ installedVersion: "v1.34.10" }),
    deployment: deployment(),
    expected: "Ready",
  },
  {
    name: "Ready: a finished first rollout (no installed version yet)",
    tcp: tenantControlPlane(),
    deployment: deployment(),
    expected: "Ready",
  },
  {
    name: "Ready wins over Upgrading once the new version has rolled out",
    tcp: tenantControlPlane({ installedVersion: "v1.33.5" }),
    deployment: deployment(),
    expected: "Ready",
  },
  {
    name: "Upgrading: another version is installed and the rollout is in progress",
    tcp: tenantControlPlane({ installedVersion: "v1.33.5" }),
    deployment: rollingOut,
    expected: "Upgrading",
  },
  {
    name: "Provisioning: no installed version and the rollout is in progress",
    tcp: tenantControlPlane(),
    deployment: rollingOut,
    expected: "Provisioning",
  },
  {
    name: "Provisioning: an empty installed version counts as none",
    tcp: tenantControlPlane({ installedVersion: "" }),
    deployment: rollingOut,
    expected: "Provisioning",
  },
  {
    name: "Unknown: the spec version is installed but the rollout is in progress",
    tcp: tenantControlPlane({ installedVersion: "v1.34.10" }),
    deployment: rollingOut,
    expected: "Unknown",
  },
];

for (const { name, tcp, deployment: d, expected } of cases) {
  test(`versionStatusFromDeployment: ${name}`, () => {
    assert.equal(versionStatusFromDeployment(tcp, d), expected);
  });
}

interface RolloutCase {
  name: string;
  tcp?: TenantControlPlane;
  deployment: Deployment;
  expected: boolean;
}

const rolloutCases: RolloutCase[] = [
  { name: "everything settled", deployment: deployment(), expected: true },
  { name: "a generation not observed yet", deployment: rollingOut, expected: false },
  {
    name: "an unavailable replica",
    deployment: deployment((d) => {
      d.status = { ...d.status, unavailableReplicas: 1 };
    }),
    expected: false,
  },
  {
    name: "not every replica updated",
    deployment: deployment((d) => {
      d.status = { ...d.status, updatedReplicas: 1 };
    }),
    expected: false,
  },
  {
    name: "not every replica ready",
    deployment: deployment((d) => {
      d.status = { ...d.status, readyReplicas: 1 };
    }),
    expected: false,
  },
  {
    name: "old pods still around (surge)",
    deployment: deployment((d) => {
      d.status = { ...d.status, replicas: 4 };
    }),
    expected: false,
  },
  {
    name: "absent generation and observedGeneration count as equal (0)",
    deployment: deployment((d) => {
      d.metadata = { name: "tenant-a" };
      d.status = { replicas: 2, updatedReplicas: 2, readyReplicas: 2 };
    }),
    expected: true,
  },
  {
    name: "without spec.replicas the tenant's replicas are desired (3 here)",
    tcp: tenantControlPlane({ replicas: 3 }),
    deployment: deployment((d) => {
      d.spec = { selector: {}, template: {} };
      d.status = { observedGeneration: 4, replicas: 3, updatedReplicas: 3, readyReplicas: 3 };
    }),
    expected: true,
  },
  {
    name: "without any replicas setting 2 are desired",
    deployment: deployment((d) => {
      d.spec = { selector: {}, template: {} };
      d.status = { observedGeneration: 4, replicas: 1, updatedReplicas: 1, readyReplicas: 1 };
    }),
    expected: false,
  },
];

for (const { name, tcp, deployment: d, expected } of rolloutCases) {
  test(`isRolloutComplete: ${name}`, () => {
    assert.equal(isRolloutComplete(tcp ?? tenantControlPlane(), d), expected);
  });
}
