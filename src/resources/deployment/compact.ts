// Optional fields are left out rather than set to undefined, so that the object compares like its JSON.
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
