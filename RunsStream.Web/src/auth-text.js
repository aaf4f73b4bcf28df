// What the page says about the token (issue 15): who is signed in, which workspaces and scopes
// it opens, and refusals in plain words. Pure functions: no DOM, tested by test/auth-text.test.js.

export const EXPIRED = "Token expired";

/** "alice · workspaces a, b · runs:read runs:write" from GET /auth/me. */
export function signedInText(me) {
  if (!me || typeof me.user !== "string") return "";
  const workspaces = Array.isArray(me.workspaces) ? me.workspaces : [];
  const where = workspaces.includes("*") ? "all workspaces" : workspaces.length === 1 ? `workspace ${workspaces[0]}` : `workspaces ${workspaces.join(", ")}`;
  const scopes = Array.isArray(me.scopes) && me.scopes.length > 0 ? me.scopes.filter((s) => s !== "admin" || me.scopes.length === 1).join(" ") : "no scopes";
  const admin = Array.isArray(me.scopes) && me.scopes.includes("admin") ? "admin · " : "";
  return `Signed in as ${me.user} · ${admin}${where} · ${scopes}`;
}

/** A REST refusal as the user reads it: 403 and 404 say what they mean before the server's words. */
export function refusalText(status, message) {
  const detail = message ? `: ${message}` : "";
  if (status === 403) return `Not allowed (403)${detail}`;
  if (status === 404) return `Not found (404)${detail}`;
  return message || `HTTP ${status}`;
}

/** What the token dialog says after a refusal: an expired token asks for a new one. */
export function tokenPrompt(reason) {
  if (reason === EXPIRED) return "Your token has expired. Enter a new one (scripts/token mints one).";
  return "The server refused this token (401 Unauthorized). Enter the token that scripts/run printed, or one from scripts/token.";
}
