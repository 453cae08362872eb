import assert from "node:assert/strict";
import { test } from "node:test";
import { corednsManifests } from "../../../tools/cluster/node-addons.js";
import { corednsImage } from "../../../tools/images/catalog.js";

test("the management node's CoreDNS runs the image the node tier imports", () => {
  const objects = corednsManifests({ serviceCIDR: "10.96.0.0/16", clusterDNS: "10.96.0.10" }) as {
    kind: string;
    spec?: { template?: { spec?: { containers?: { image: string }[] } } };
  }[];
  const deployment = objects.find((o) => o.kind === "Deployment");
  const image = deployment?.spec?.template?.spec?.containers?.[0]?.image;
  assert.equal(image, corednsImage().name);
});
