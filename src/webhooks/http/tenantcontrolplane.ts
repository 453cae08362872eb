// The TenantControlPlane admission handlers: the defaulting and validation rules behind upstream's paths.
import { apiVersion, tenantControlPlaneKind, type TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { validateResource } from "../../api/validation.js";
import type { Logger } from "../../runtime/logger.js";
import {
  AdmissionDenied,
  defaultTenantControlPlane,
  validateDeploymentOnUpdate,
  validateTenantControlPlane,
  type ClusterState,
  type GatewayApiDiscovery,
} from "../tenantcontrolplane/index.js";
import { UnexpectedAdmissionObject, type AdmissionHandler, type AdmissionVerdict } from "./admission-review.js";
import type { ClusterView } from "./cluster-view.js";
import { jsonPatch } from "./json-patch.js";

export const tenantControlPlanePaths = {
  mutate: "/mutate-kamaji-clastix-io-v1alpha1-tenantcontrolplane",
  validate: "/validate-kamaji-clastix-io-v1alpha1-tenantcontrolplane",
} as const;

export interface TenantControlPlaneWebhookOptions {
  readonly cluster: ClusterView;
  /** The operator's default DataStore (the `--datastore` flag). */
  readonly defaultDataStore?: string;
  readonly log: Logger;
}

const allowed: AdmissionVerdict = { allowed: true };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function tenantControlPlaneOf(value: unknown, field: "object" | "oldObject"): TenantControlPlane {
  if (
    !isRecord(value) ||
    value.apiVersion !== apiVersion ||
    value.kind !== tenantControlPlaneKind.kind ||
    !isRecord(value.metadata) ||
    !isRecord(value.spec)
  ) {
    throw new UnexpectedAdmissionObject(`request.${field} is not a ${apiVersion} ${tenantControlPlaneKind.kind}`);
  }
  return value as unknown as TenantControlPlane;
}

// validateGateway reads discovery only for a TenantControlPlane with a gateway: skip the round trips otherwise.
const discoveryNotNeeded: GatewayApiDiscovery = { gatewayApiAvailable: true, tlsRouteAvailable: true };

async function clusterStateFor(view: ClusterView, tcp: TenantControlPlane): Promise<ClusterState> {
  const [dataStores, discovery] = await Promise.all([
    view.dataStoreNames(),
    tcp.spec.controlPlane.gateway ? view.gatewayApiDiscovery() : discoveryNotNeeded,
  ]);
  return { dataStores, ...discovery };
}

export function tenantControlPlaneHandlers(
  options: TenantControlPlaneWebhookOptions,
): Record<string, AdmissionHandler> {
  const { cluster, defaultDataStore, log } = options;

  // Defaults on CREATE only, as upstream. The API server validates the schema only after the mutating webhooks:
  // an object our schema rejects is left alone, and the API server reports its errors in its own words.
  const mutate: AdmissionHandler = (request) => {
    if (request.operation !== "CREATE") return allowed;
    const tcp = tenantControlPlaneOf(request.object, "object");
    const schemaErrors = validateResource(tenantControlPlaneKind, tcp).errors;
    if (schemaErrors.length > 0) {
      log.debug({ uid: request.uid, errors: schemaErrors }, "not defaulting a TenantControlPlane the schema rejects");
      return allowed;
    }
    const defaulted = defaultTenantControlPlane(tcp, defaultDataStore === undefined ? {} : { defaultDataStore });
    return defaulted instanceof AdmissionDenied ? defaulted : { allowed: true, patch: jsonPatch(tcp, defaulted) };
  };

  const validate: AdmissionHandler = async (request) => {
    if (request.operation === "CREATE") {
      const object = tenantControlPlaneOf(request.object, "object");
      const state = await clusterStateFor(cluster, object);
      return validateTenantControlPlane({ operation: "CREATE", object, cluster: state }) ?? allowed;
    }
    if (request.operation === "UPDATE") {
      const object = tenantControlPlaneOf(request.object, "object");
      const oldObject = tenantControlPlaneOf(request.oldObject, "oldObject");
      const state = await clusterStateFor(cluster, object);
      // The Deployment dry-run, a write round trip, runs once the other rules passed. Upstream runs it before the
      // Gateway rule: when both deny, the answer names the Gateway problem here, the Deployment one there.
      return (
        validateTenantControlPlane({ operation: "UPDATE", object, oldObject, cluster: state }) ??
        (await validateDeploymentOnUpdate(oldObject, object, cluster)) ??
        allowed
      );
    }
    return allowed;
  };

  return { [tenantControlPlanePaths.mutate]: mutate, [tenantControlPlanePaths.validate]: validate };
}
