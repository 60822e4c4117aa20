// Command-line parsing of `temporal-offline`, in the two shapes the SDK spawns.
import { log } from './log.ts';
import { parseSearchAttributeType, type ServerOptions } from './server.ts';

/** Flags the official CLI takes that mean nothing here: accepted silently. */
const IGNORED_WITH_VALUE = new Set(['--log-format', '--log-level', '--ui-port', '--ui-ip', '--metrics-port', '--http-port', '--log-config', '--sqlite-pragma', '--ui-asset-path', '--ui-codec-endpoint', '--config', '--env', '--tls-cert-path', '--tls-key-path']);
const IGNORED_FLAGS = new Set(['--headless', '--ui-public-path']);

export function parseArgs(argv: string[]): ServerOptions {
  const opts: ServerOptions = { port: 7233, host: '127.0.0.1', timeSkipping: false, namespaces: ['default'], searchAttributes: [], dbFile: undefined };
  let args = argv;
  if (args[0] === 'server' && args[1] === 'start-dev') {
    args = args.slice(2);
  } else if (args[0] && /^\d+$/.test(args[0])) {
    opts.timeSkipping = true;
    opts.port = Number(args[0]);
    args = args.slice(1);
  } else if (args.length > 0 && !args[0]!.startsWith('--')) {
    throw new Error(`usage: temporal-offline <port> | temporal-offline server start-dev --port N [--ip A] [--namespace NS]... [--db-filename F] [--search-attribute Name=Type]...`);
  }
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    const [flag, inline] = raw.includes('=') && raw.startsWith('--') ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)] : [raw, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const v = args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port':
      case '-p': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 0 || v > 65535) throw new Error(`invalid port ${args[i]}`);
        opts.port = v;
        break;
      }
      case '--ip':
        opts.host = value();
        break;
      case '--namespace':
      case '-n': {
        const ns = value();
        if (!opts.namespaces.includes(ns)) opts.namespaces.push(ns);
        break;
      }
      case '--db-filename':
      case '-f':
        opts.dbFile = value();
        break;
      case '--dynamic-config-value': {
        // KEY=VALUE; the keys that matter here: the continue-as-new suggestion, and whether
        // ShutdownWorker completes the worker's polls (off by default, as on the official server).
        const spec = value();
        const m = /^limit\.historyCount\.suggestContinueAsNew=(\d+)$/.exec(spec);
        if (m) opts.suggestContinueAsNewEvents = Number(m[1]);
        const c = /^frontend\.enableCancelWorkerPollsOnShutdown=(true|false)$/.exec(spec);
        if (c) opts.cancelWorkerPollsOnShutdown = c[1] === 'true';
        break;
      }
      case '--search-attribute': {
        const spec = value();
        const eq = spec.indexOf('=');
        const type = eq > 0 ? parseSearchAttributeType(spec.slice(eq + 1)) : undefined;
        if (!type) throw new Error(`invalid --search-attribute ${spec}: expected Name=Type with Type one of Text, Keyword, Int, Double, Bool, Datetime, KeywordList`);
        opts.searchAttributes.push({ name: spec.slice(0, eq), type });
        break;
      }
      default:
        if (IGNORED_WITH_VALUE.has(flag)) {
          if (inline === undefined) i++;
        } else if (IGNORED_FLAGS.has(flag)) {
          // accepted for compatibility with the official CLI
        } else {
          const next = args[i + 1];
          const takesValue = inline === undefined && next !== undefined && !next.startsWith('-');
          log.warn(`ignoring unknown flag ${raw}${takesValue ? ' ' + next : ''}`);
          if (takesValue) i++;
        }
    }
  }
  return opts;
}
