import { test } from "node:test";
import assert from "node:assert/strict";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import {
  buildControlPlaneDeployment,
  secretChecksumLabel,
  type Deployment,
} from "../../../src/resources/deployment/index.js";
import {
  changedDeploymentAdditions,
  deploymentConfigurationError,
  dryRunDeploymentInput,
  validateDeploymentOnUpdate,
  type DeploymentDryRun,
} from "../../../src/webhooks/tenantcontrolplane/index.js";
import { tenantControlPlane } from "./fixtures.js";

type DeploymentSpec = NonNullable<TenantControlPlane["spec"]["controlPlane"]["deployment"]>;

const sidecar = { name: "sidecar", image: "busybox" };
const scratch = { name: "scratch", emptyDir: {} };
const scratchMount = { name: "scratch", mountPath: "/scratch" };

// The static type of additionalVolumeMounts wrongly requires a `kine` key: the fields are loosely typed here.
const withDeployment = (deployment: Partial<Record<keyof DeploymentSpec, unknown>>, driver?: string) =>
  tenantControlPlane((tcp) => {
    tcp.metadata.uid = "6f1c2d3e-0000-4000-8000-000000000001";
    tcp.spec.controlPlane.deployment = { replicas: 1, ...deployment } as DeploymentSpec;
    if (driver !== undefined) {
      tcp.status = {
        storage: { driver, dataStoreName: "default", setup: { schema: "tenants_tenant_a" } },
        controlPlaneEndpoint: "[fd00::1]:6443",
      };
    }
  });

/** Records what the rule asks; answers with `rejection` and the stored Deployment given. */
function fakeCluster(rejection?: string, stored?: Deployment) {
  const calls = { reads: [] as string[], dryRuns: [] as Deployment[] };
  const cluster: DeploymentDryRun = {
    deployment(namespace, name) {
      calls.reads.push(`${namespace}/${name}`);
      return Promise.resolve(stored);
    },
    dryRunDeployment(deployment) {
      calls.dryRuns.push(deployment);
      return Promise.resolve(rejection);
    },
  };
  return { cluster, calls };
}

test("changed additions: each of the four fields, compared by value", () => {
  const old = withDeployment({ additionalContainers: [sidecar] });
  assert.deepEqual(changedDeploymentAdditions(old, withDeployment({ additionalContainers: [{ ...sidecar }] })), []);
  assert.deepEqual(changedDeploymentAdditions(old, withDeployment({})), ["additionalContainers"]);
  assert.deepEqual(
    changedDeploymentAdditions(
      old,
      withDeployment({
        additionalContainers: [sidecar],
        additionalInitContainers: [sidecar],
        additionalVolumes: [scratch],
        additionalVolumeMounts: { apiServer: [scratchMount] },
      }),
    ),
    ["additionalInitContainers", "additionalVolumes", "additionalVolumeMounts"],
  );
  const mounted = withDeployment({ additionalVolumeMounts: { scheduler: [scratchMount] } });
  const moved = withDeployment({ additionalVolumeMounts: { controllerManager: [scratchMount] } });
  assert.deepEqual(changedDeploymentAdditions(mounted, moved), ["additionalVolumeMounts"]);
});

test("changed additions: absent and empty are the same", () => {
  const absent = withDeployment({});
  const empty = withDeployment({
    additionalContainers: [],
    additionalInitContainers: [],
    additionalVolumes: [],
    additionalVolumeMounts: {},
  });
  assert.deepEqual(changedDeploymentAdditions(absent, empty), []);
  assert.deepEqual(changedDeploymentAdditions(empty, absent), []);
  const noDeployment = tenantControlPlane((tcp) => delete tcp.spec.controlPlane.deployment);
  assert.deepEqual(changedDeploymentAdditions(noDeployment, absent), []);
});

test("the denial carries the API server's message after upstream's wording", () => {
  const denied = deploymentConfigurationError(
    'spec.template.spec.containers[1].name: Duplicate value: "kube-apiserver"',
  );
  assert.equal(
    denied.message,
    'the resulting Deployment will generate a configuration error, cannot proceed: spec.template.spec.containers[1].name: Duplicate value: "kube-apiserver"',
  );
  assert.equal(denied.field, "spec.controlPlane.deployment");
});

test("update: unchanged additions are not dry-run", async () => {
  const tcp = withDeployment({ additionalContainers: [sidecar] }, "etcd");
  const { cluster, calls } = fakeCluster("never asked");
  const edited = structuredClone(tcp);
  edited.spec.controlPlane.deployment = { ...edited.spec.controlPlane.deployment, replicas: 3 };
  assert.equal(await validateDeploymentOnUpdate(tcp, edited, cluster), undefined);
  assert.deepEqual(calls, { reads: [], dryRuns: [] });
});

test("update: a TenantControlPlane never reconciled is not dry-run", async () => {
  const { cluster, calls } = fakeCluster("never asked");
  const added = withDeployment({ additionalContainers: [{ name: "kube-apiserver", image: "busybox" }] });
  assert.equal(await validateDeploymentOnUpdate(withDeployment({}), added, cluster), undefined);
  assert.deepEqual(calls.dryRuns, []);
});

test("update: the API server's rejection denies", async () => {
  const rejection = 'failed to create typed patch object: duplicate entries for key [name="kube-apiserver"]';
  const { cluster, calls } = fakeCluster(rejection);
  const added = withDeployment({ additionalContainers: [{ name: "kube-apiserver", image: "busybox" }] }, "etcd");
  const denied = await validateDeploymentOnUpdate(withDeployment({}, "etcd"), added, cluster);
  assert.equal(denied?.message, deploymentConfigurationError(rejection).message);
  assert.deepEqual(calls.reads, ["tenants/tenant-a"]);
  const names = calls.dryRuns[0]?.spec?.template.spec?.containers.map((container) => container.name);
  assert.deepEqual(names, ["kube-apiserver", "kube-apiserver", "kube-scheduler", "kube-controller-manager"]);
});

test("update: an accepted dry-run allows; the Deployment is the builder's for the new spec", async () => {
  const { cluster, calls } = fakeCluster(undefined);
  const added = withDeployment({ additionalContainers: [sidecar], additionalVolumes: [scratch] }, "MySQL");
  assert.equal(await validateDeploymentOnUpdate(withDeployment({}, "MySQL"), added, cluster), undefined);
  const [dryRun] = calls.dryRuns;
  const { metadata, ...built } = buildControlPlaneDeployment(dryRunDeploymentInput(added, undefined)!);
  assert.deepEqual(dryRun, {
    ...built,
    metadata: {
      ...metadata,
      ownerReferences: [
        {
          apiVersion: "kamaji.clastix.io/v1alpha1",
          kind: "TenantControlPlane",
          name: "tenant-a",
          uid: "6f1c2d3e-0000-4000-8000-000000000001",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
  });
  const pod = dryRun.spec?.template.spec;
  assert.deepEqual(
    pod?.containers.map((container) => container.name),
    ["sidecar", "kube-apiserver", "kube-scheduler", "kube-controller-manager", "kine"],
  );
  assert.equal(pod.volumes?.[0]?.name, "scratch");
});

test("builder input: the status and the stored Deployment where they have it, valid placeholders elsewhere", () => {
  const tcp = withDeployment({}, "PostgreSQL");
  const bare = dryRunDeploymentInput(tcp, undefined);
  assert.deepEqual(bare?.dataStore, { name: "default", driver: "PostgreSQL", endpoints: [] });
  assert.equal(bare.storageSchema, "tenants_tenant_a");
  assert.equal(bare.address, "fd00::1");
  assert.equal(bare.secretChecksums.ca, "");
  assert.equal(bare.kineImage, "kine");
  assert.equal(bare.existing, undefined);

  const stored = buildControlPlaneDeployment({
    ...bare,
    secretChecksums: { ...bare.secretChecksums, ca: "0123456789abcdef" },
    dataStore: { ...bare.dataStore, tls: { clientCertificate: true } },
    kineImage: "docker.io/rancher/kine:v0.17.5",
  });
  assert.equal(stored.spec?.template.metadata?.labels?.[secretChecksumLabel("ca")], "0123456789abcdef");
  const fromStored = dryRunDeploymentInput(tcp, stored);
  assert.equal(fromStored?.secretChecksums.ca, "0123456789abcdef");
  assert.deepEqual(fromStored.dataStore.tls, { clientCertificate: true });
  assert.equal(fromStored.kineImage, "docker.io/rancher/kine:v0.17.5");
  assert.equal(fromStored.existing, stored);
  assert.deepEqual(buildControlPlaneDeployment(fromStored).spec?.template.spec?.initContainers?.[0]?.name, "chmod");
});

test("builder input: none without the datastore driver in the status", () => {
  assert.equal(dryRunDeploymentInput(withDeployment({}), undefined), undefined);
  assert.equal(dryRunDeploymentInput(withDeployment({}, "Cassandra"), undefined), undefined);
});
