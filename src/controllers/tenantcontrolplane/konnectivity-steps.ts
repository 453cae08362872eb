// The konnectivity addon on the management side (pipeline steps 18 and 20): the API server's egress selector
// ConfigMap and the server sidecar's kubeconfig. The Deployment builder adds the sidecar itself, and the Service
// its port; the per-tenant controller runs the agents. Without the addon both objects are removed.
import { mapChecksum } from "../../resources/checksum.js";
import { buildEgressSelectorConfigMap } from "../../resources/konnectivity-egress.js";
import type { ConfigMap } from "../../resources/kubeadm-config.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import type { PipelineContext, PipelineStep } from "./context.js";
import { kubeconfigStep, localServer } from "./kubeconfigs.js";
import { applyOwned } from "./objects.js";
import { optionalStep, type OptionalObject } from "./optional-objects.js";

const enabled = (context: PipelineContext) => context.tcp.spec.addons?.konnectivity !== undefined;

function konnectivityStatus(context: PipelineContext) {
  const addons = (context.status.addons ??= {});
  return (addons.konnectivity ??= { enabled: true });
}

/** The step with the addon; without it, its object is removed and the addon recorded as disabled. */
function withTheAddon(step: PipelineStep, object: OptionalObject): PipelineStep {
  return optionalStep({
    ...step,
    run: (context) => step.run(context),
    wanted: enabled,
    objects: [object],
    whenUnwanted: (context) => {
      if (context.status.addons?.konnectivity !== undefined) context.status.addons.konnectivity = { enabled: false };
    },
  });
}

export const konnectivityEgressSelectorStep = withTheAddon(
  {
    name: "konnectivity-egress-selector-configuration",
    async run(context) {
      type Named = ConfigMap & { metadata: { name: string } };
      const { object } = await applyOwned<Named>(
        context,
        resourceTypes.configMap,
        buildEgressSelectorConfigMap(context.tcp),
        "konnectivity-egress-selector-configuration",
        undefined,
      );
      const status = konnectivityStatus(context);
      status.enabled = true;
      status.configMap = { name: object.metadata.name, checksum: mapChecksum(object.data ?? {}) };
    },
  },
  { type: resourceTypes.configMap, name: (context) => context.names.konnectivityEgressSelector },
);

export const konnectivityKubeconfigStep = withTheAddon(
  kubeconfigStep(
    "konnectivity-kubeconfig",
    (c) => c.names.konnectivityKubeconfig,
    [{ key: "konnectivity-server.conf", profile: "konnectivity", server: localServer }],
    {
      read: (context) => context.status.addons?.konnectivity?.kubeconfig,
      write: (context, value) => {
        konnectivityStatus(context).kubeconfig = value;
      },
    },
    "konnectivity-kubeconfig",
  ),
  { type: resourceTypes.secret, name: (context) => context.names.konnectivityKubeconfig },
);
