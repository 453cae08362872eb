import { test } from "node:test";
import assert from "node:assert/strict";
import { validateGateway } from "../../../src/webhooks/tenantcontrolplane/index.js";
import { tenantControlPlane } from "./fixtures.js";

const withGateway = tenantControlPlane((tcp) => {
  tcp.spec.controlPlane.gateway = { hostname: "tenant-a.example.com", parentRefs: [{ name: "test-gateway" }] };
});
const everything = { gatewayApiAvailable: true, tlsRouteAvailable: true };
const nothing = { gatewayApiAvailable: false, tlsRouteAvailable: false };

test("a gateway is accepted when the Gateway API and TLSRoute are served", () => {
  assert.equal(validateGateway(withGateway, everything), undefined);
});

test("without a gateway, the Gateway API is not needed", () => {
  assert.equal(validateGateway(tenantControlPlane(), nothing), undefined);
});

test("a gateway without the Gateway API is denied", () => {
  const denied = validateGateway(withGateway, nothing);
  assert.equal(
    denied?.message,
    "the Gateway API is not available in this cluster, cannot use gatewayRoute configuration",
  );
  assert.equal(denied.field, "spec.controlPlane.gateway");
});

test("a gateway without the TLSRoute kind is denied", () => {
  assert.equal(
    validateGateway(withGateway, { gatewayApiAvailable: true, tlsRouteAvailable: false })?.message,
    "TLSRoute resource is not available in this cluster",
  );
});
