// The pod volumes every control plane has (certificates, kubeconfigs), and helpers for volumes and mounts.
import type { Volume, VolumeMount } from "../../api/k8s-types.js";
import type { Settings } from "./settings.js";

export const volumeNames = {
  pki: "etc-kubernetes-pki",
  caCertificates: "etc-ca-certificates",
  usrShareCaCertificates: "usr-share-ca-certificates",
  usrLocalShareCaCertificates: "usr-local-share-ca-certificates",
  schedulerKubeconfig: "scheduler-kubeconfig",
  controllerManagerKubeconfig: "controller-manager-kubeconfig",
  kineUds: "kine-uds",
  kineConfig: "kine-config",
  kineCerts: "kine-certs",
  konnectivityUds: "konnectivity-uds",
  egressSelectorConfiguration: "egress-selector-configuration",
  konnectivityServerKubeconfig: "konnectivity-server-kubeconfig",
} as const;

/** 0644: what the API server would default; set explicitly as upstream does. */
export const defaultMode = 420;

export const pkiDir = "/etc/kubernetes/pki";
export const pkiPath = (file: string): string => `${pkiDir}/${file}`;

export const mount = (name: string, mountPath: string, readOnly = false): VolumeMount =>
  readOnly ? { name, mountPath, readOnly } : { name, mountPath };

export const secretVolume = (name: string, secretName: string): Volume => ({
  name,
  secret: { secretName, defaultMode },
});

export const memoryVolume = (name: string): Volume => ({ name, emptyDir: { medium: "Memory" } });

/** The certificate mounts shared by kube-apiserver and kube-controller-manager. */
export const certificateMounts: readonly VolumeMount[] = [
  mount(volumeNames.pki, pkiDir, true),
  mount(volumeNames.caCertificates, "/etc/ca-certificates", true),
  mount(volumeNames.usrShareCaCertificates, "/usr/share/ca-certificates", true),
  mount(volumeNames.usrLocalShareCaCertificates, "/usr/local/share/ca-certificates", true),
];

/** The CA that signs, alone: the controller-manager's CSR signer refuses a bundle. */
export const signingCaFile = "ca-signing.crt";

/** A Secret projected with its keys under their own names. */
const keysOf = (secretName: string, ...keys: string[]) => ({
  secret: { name: secretName, items: keys.map((key) => ({ key, path: key })) },
});

function pkiVolume({ names, input }: Settings): Volume {
  const sources = [
    keysOf(names.apiServerCertificate, "apiserver.crt", "apiserver.key"),
    // ca.crt holds two CAs during a rotation; the CSR signer wants the signing one alone (the Secret's tls.crt).
    {
      secret: {
        name: names.ca,
        items: [...keysOf(names.ca, "ca.crt", "ca.key").secret.items, { key: "tls.crt", path: signingCaFile }],
      },
    },
    keysOf(names.apiServerKubeletClientCertificate, "apiserver-kubelet-client.crt", "apiserver-kubelet-client.key"),
    keysOf(names.frontProxyCa, "front-proxy-ca.crt", "front-proxy-ca.key"),
    keysOf(names.frontProxyClientCertificate, "front-proxy-client.crt", "front-proxy-client.key"),
    keysOf(names.serviceAccount, "sa.pub", "sa.key"),
  ];
  if (input.dataStore.driver === "etcd") {
    const etcdFiles = ["ca.crt", "server.crt", "server.key"];
    sources.push({
      secret: {
        name: names.dataStoreCertificate,
        items: etcdFiles.map((key) => ({ key, path: `etcd/${key}` })),
      },
    });
  }
  return { name: volumeNames.pki, projected: { sources, defaultMode } };
}

/** The volumes of the Kamaji core containers, in upstream order. */
export function coreVolumes(settings: Settings): Volume[] {
  const { names } = settings;
  return [
    pkiVolume(settings),
    secretVolume(volumeNames.caCertificates, names.ca),
    secretVolume(volumeNames.usrShareCaCertificates, names.ca),
    secretVolume(volumeNames.usrLocalShareCaCertificates, names.ca),
    secretVolume(volumeNames.schedulerKubeconfig, names.schedulerKubeconfig),
    secretVolume(volumeNames.controllerManagerKubeconfig, names.controllerManagerKubeconfig),
  ];
}
