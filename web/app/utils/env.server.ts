// The web server's environment, parsed once at start-up. Nothing here reaches the browser.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const envSchema = z.object({
  NODE_ENV: optionalString,
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: optionalString,
  DATABASE_URL: z.string().trim().min(1, 'DATABASE_URL is required (postgres://user:pass@host:port/db)'),
  SESSION_SECRET: optionalString,
  SMTP_URL: optionalString,
  MAIL_FROM: optionalString,
  APP_URL: optionalString.pipe(z.url().optional()),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: optionalString,
  TEMPORAL_WEB_URL: optionalString.pipe(z.url().optional()),
  TRUST_PROXY: optionalString,
});

export interface WebEnv {
  mode: 'development' | 'production';
  port: number;
  host: string | undefined;
  databaseUrl: string;
  sessionSecret: string;
  smtpUrl: string | undefined;
  mailFrom: string | undefined;
  /** APP_URL: the public address of the web app, where links in e-mails point. */
  appUrl: string | undefined;
  temporalAddress: string | undefined;
  temporalWebUrl: string | undefined;
  trustProxy: string | undefined;
}

export function parseWebEnv(env: NodeJS.ProcessEnv = process.env): WebEnv {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid environment for the web server:\n${problems}`);
  }
  const e = result.data;
  const mode = e.NODE_ENV === 'production' ? 'production' : 'development';
  let sessionSecret = e.SESSION_SECRET;
  if (!sessionSecret) {
    // Signing sessions with a guessable default would let anyone forge one; in development a
    // random secret only costs a sign-in after each restart.
    if (mode === 'production') throw new Error('Invalid environment for the web server:\n  SESSION_SECRET: required in production (32+ random characters)');
    sessionSecret = randomBytes(32).toString('base64url');
    console.warn('[web] SESSION_SECRET is not set; using a random one (sessions end when the server restarts)');
  } else if (mode === 'production' && sessionSecret.length < 32) {
    throw new Error('Invalid environment for the web server:\n  SESSION_SECRET: must be at least 32 characters in production');
  }
  return {
    mode,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    sessionSecret,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    appUrl: e.APP_URL,
    temporalAddress: e.TEMPORAL_ADDRESS,
    temporalWebUrl: e.TEMPORAL_WEB_URL,
    trustProxy: e.TRUST_PROXY,
  };
}
