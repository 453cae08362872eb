import { rfc3339 } from "./time.js";

// metav1.Condition lists: setting a condition keeps its lastTransitionTime unless its status changes.
export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export type ConditionUpdate = Omit<Condition, "lastTransitionTime">;

/** A copy of `conditions` with `update` set; the order of the other conditions is kept. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: Date = new Date(),
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((condition) => condition.type === update.type);
  const previous = index >= 0 ? list[index] : undefined;
  const transition =
    previous !== undefined && previous.status === update.status ? previous.lastTransitionTime : rfc3339(now);
  const condition: Condition = { ...update, lastTransitionTime: transition };
  if (index >= 0) list[index] = condition;
  else list.push(condition);
  return list;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}
