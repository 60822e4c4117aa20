// What the API Keys page and its server code share (the page runs in the browser too).

/** The longest name a key may have. */
export const API_KEY_NAME_MAX = 80;
