/**
 * The framework's pino logger. It writes to stderr in every mode, so that on
 * STDIO stdout carries nothing but the protocol.
 */
import { type LevelWithSilent, type Logger, pino } from "pino";

export type { Logger };
export type LogLevel = LevelWithSilent;

export const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export function createLogger(name: string, level: LogLevel): Logger {
  return pino(
    {
      name,
      level,
      // Belt and braces: if a caller ever logs a request, its credentials stay out.
      redact: {
        paths: ["req.headers.authorization", "headers.authorization", "token", "*.token"],
        censor: "[redacted]",
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
