// Shared with the browser (input hints), so not a .server module.
export const PASSWORD_MIN_LENGTH = 10;
// scrypt's cost grows with input length; a bound keeps one request from pinning a core.
export const PASSWORD_MAX_LENGTH = 200;
// How long a password-reset link works: long enough to read the mail and choose a password;
// short, because the mail may sit in an inbox others can read. The forgot-password page says it.
export const RESET_TOKEN_TTL_MINUTES = 30;
