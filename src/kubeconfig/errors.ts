/** A kubeconfig could not be read: the message names the field (e.g. `users[0].user.client-key-data`). */
export class KubeconfigError extends Error {
  override readonly name = "KubeconfigError";
}
