// Structured JSON logs, one object per line, with the keys zap-based operators use (ts, level, msg, logger).
import { pino, type Logger } from "pino";

export type { Logger };

export type LogLevel = "debug" | "info" | "warn" | "error";

export function createLogger(level: LogLevel = "info", destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      messageKey: "msg",
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { error: pino.stdSerializers.err },
    },
    destination ?? process.stderr,
  );
}
