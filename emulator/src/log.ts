// Quiet by default: the SDK forwards our stderr into test output. TEMPORAL_OFFLINE_LOG=debug
// (or info) turns on more.
const levels = { error: 0, warn: 1, info: 2, debug: 3 } as const;
type Level = keyof typeof levels;
const configured = (process.env.TEMPORAL_OFFLINE_LOG ?? 'warn').toLowerCase() as Level;
const threshold = levels[configured] ?? levels.warn;

function emit(level: Level, msg: string, extra?: unknown) {
  if (levels[level] > threshold) return;
  const line = `[temporal-offline] ${level}: ${msg}${extra === undefined ? '' : ' ' + String(extra instanceof Error ? extra.stack : JSON.stringify(extra))}`;
  process.stderr.write(line + '\n');
}

export const log = {
  error: (m: string, e?: unknown) => emit('error', m, e),
  warn: (m: string, e?: unknown) => emit('warn', m, e),
  info: (m: string, e?: unknown) => emit('info', m, e),
  debug: (m: string, e?: unknown) => emit('debug', m, e),
  enabled: (l: Level) => levels[l] <= threshold,
};
