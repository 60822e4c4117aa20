// Shared with the browser (input hints), so not a .server module.
export const PASSWORD_MIN_LENGTH = 10;
// scrypt's cost grows with input length; a bound keeps one request from pinning a core.
export const PASSWORD_MAX_LENGTH = 200;
