// The webhooks tenant clusters call (through ValidatingWebhookConfigurations the per-tenant controller installs in
// them): they refuse every request they are sent, since the configuration only sends what must be refused. Upstream's
// paths and messages, with the operation, the object and the TenantControlPlane (the URL's path after the webhook's,
// `<namespace>/<name>`: API servers refuse query parameters in webhook URLs) added so a user sees why and where to
// lift it.
import { AdmissionDenied } from "../admission-denied.js";
import type { AdmissionCall, AdmissionHandler, AdmissionRequest } from "./admission-review.js";

export const tenantGuardPaths = {
  writePermission: "/write-permission",
  migrate: "/migrate",
} as const;

/** "CREATE of configmaps default/x", from the request. */
function what(request: AdmissionRequest): string {
  const { resource, subResource, namespace, name } = request;
  const kind = `${resource?.resource ?? "object"}${subResource ? `/${subResource}` : ""}`;
  const object = `${namespace ? `${namespace}/` : ""}${name ?? ""}`;
  return object === "" ? `${request.operation} of ${kind}` : `${request.operation} of ${kind} ${object}`;
}

const tenantOf = (call: AdmissionCall): string => (call.subpath === "" ? "(unnamed)" : call.subpath);

export function tenantGuardHandlers(): Record<string, AdmissionHandler> {
  return {
    [tenantGuardPaths.writePermission]: (request, call) =>
      new AdmissionDenied(
        `${what(request)} refused: the current Control Plane has limited write permissions (spec.writePermissions of TenantControlPlane ${tenantOf(call)}), current changes are blocked: removing the webhook may lead to an inconsistent state upon its completion`,
      ),
    [tenantGuardPaths.migrate]: (request, call) =>
      new AdmissionDenied(
        `${what(request)} refused: the current Control Plane is in freezing mode due to a maintenance mode (TenantControlPlane ${tenantOf(call)} is moving to another DataStore), all the changes are blocked: removing the webhook may lead to an inconsistent state upon its completion`,
      ),
  };
}
