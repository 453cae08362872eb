import { test } from "node:test";
import assert from "node:assert/strict";
import { validateResource } from "../../../src/api/validation.js";
import { tenantControlPlaneKind } from "../../../src/api/v1alpha1/kinds.js";
import { validatePreferredAddressTypes } from "../../../src/webhooks/tenantcontrolplane/index.js";
import { tenantControlPlane } from "./fixtures.js";

// Typed as plain strings on purpose: these objects did not go through the schema.
const preferring = (types: string[]) =>
  tenantControlPlane((tcp) => {
    Object.assign(tcp.spec.kubernetes.kubelet, { preferredAddressTypes: types });
  });

const supported = '"Hostname", "InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS"';

test("distinct known address types are accepted", () => {
  assert.equal(validatePreferredAddressTypes(tenantControlPlane()), undefined);
  assert.equal(validatePreferredAddressTypes(preferring(["ExternalDNS", "InternalDNS"])), undefined);
});

test("a duplicate address type is denied", () => {
  const denied = validatePreferredAddressTypes(preferring(["InternalIP", "Hostname", "InternalIP"]));
  assert.equal(denied?.message, 'spec.kubernetes.kubelet.preferredAddressTypes[2]: Duplicate value: "InternalIP"');
  assert.equal(denied.field, "spec.kubernetes.kubelet.preferredAddressTypes[2]");
});

test("an unknown address type is denied", () => {
  assert.equal(
    validatePreferredAddressTypes(preferring(["Foo"]))?.message,
    `spec.kubernetes.kubelet.preferredAddressTypes[0]: Unsupported value: "Foo": supported values: ${supported}`,
  );
});

test("the verdict is the CRD schema's (e2e tcp_validation_preferredkubeletaddresstypes)", () => {
  for (const types of [["InternalIP", "InternalIP"], ["Foo"], ["Hostname", "Foo", "Hostname"], ["Hostname"]]) {
    const tcp = preferring(types);
    const fromSchema = validateResource(tenantControlPlaneKind, tcp).errors.map((e) => `${e.field}: ${e.message}`);
    const denied = validatePreferredAddressTypes(tcp);
    const expected = fromSchema.length > 1 ? `[${fromSchema.join(", ")}]` : fromSchema[0];
    assert.equal(denied?.message, expected, types.join(","));
  }
});
