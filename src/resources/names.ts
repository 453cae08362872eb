// Names of the objects Kamaji manages for a TenantControlPlane, as upstream names them (users' tooling relies on them).
export const resourceNames = (tcp: string) =>
  ({
    service: tcp,
    deployment: tcp,
    kubeadmConfig: `${tcp}-kubeadmconfig`,
    ca: `${tcp}-ca`,
    frontProxyCa: `${tcp}-front-proxy-ca-certificate`,
    serviceAccount: `${tcp}-sa-certificate`,
    apiServerCertificate: `${tcp}-api-server-certificate`,
    apiServerKubeletClientCertificate: `${tcp}-api-server-kubelet-client-certificate`,
    frontProxyClientCertificate: `${tcp}-front-proxy-client-certificate`,
    adminKubeconfig: `${tcp}-admin-kubeconfig`,
    controllerManagerKubeconfig: `${tcp}-controller-manager-kubeconfig`,
    schedulerKubeconfig: `${tcp}-scheduler-kubeconfig`,
    dataStoreConfig: `${tcp}-datastore-config`,
    dataStoreCertificate: `${tcp}-datastore-certificate`,
    konnectivityEgressSelector: `${tcp}-konnectivity-egress-selector-configuration`,
    konnectivityCertificate: `${tcp}-konnectivity-certificate`,
    konnectivityKubeconfig: `${tcp}-konnectivity-kubeconfig`,
  }) as const;

export type ResourceNames = ReturnType<typeof resourceNames>;
