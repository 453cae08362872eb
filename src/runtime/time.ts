// The two timestamp formats of the Kubernetes API.

/** metav1.Time: RFC 3339 in whole seconds, as the API server stores and returns it. */
export const rfc3339 = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z");

/** metav1.MicroTime (Lease and Event times): RFC 3339 with microseconds. */
export const microTime = (date: Date): string => date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
