// Go-style durations ("30s", "24h", "1h30m", "500ms"), as upstream Kamaji's flags take them.
const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds; throws with the flag name on anything else than a sequence of <number><unit>. */
export function parseDuration(text: string, flag: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (text === "" || parts.map((part) => part[0]).join("") !== text) {
    throw new Error(`${flag}: ${JSON.stringify(text)} is not a duration such as 30s, 24h or 1h30m`);
  }
  return parts.reduce((total, [, amount = "0", unit = "ms"]) => total + Number(amount) * (units[unit] ?? 0), 0);
}
