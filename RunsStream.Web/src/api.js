// The REST API (docs/api.md section 3), always with the bearer token.
import { refusalText } from "./auth-text.js";

export class UnauthorizedError extends Error {
  /** @param {string} [reason] the server's message: "Token expired" asks for a new token. */
  constructor(reason) {
    super("The server refused the token (401 Unauthorized).");
    this.name = "UnauthorizedError";
    this.reason = reason;
  }
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** @param {() => string} getToken */
export function createApi(getToken) {
  async function send(method, path, { body, raw = false, allow = [] } = {}) {
    const headers = { Authorization: `Bearer ${getToken()}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    if (response.status === 401) {
      const refusal = await response.json().catch(() => null);
      throw new UnauthorizedError(refusal?.error?.message);
    }
    if (raw && response.ok) return response;
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: reported below if the status is an error
    }
    if (!response.ok && !allow.includes(response.status)) {
      throw new ApiError(response.status, refusalText(response.status, json?.error?.message ?? (text || response.statusText)));
    }
    return json;
  }

  const run = (id) => `/runs/${encodeURIComponent(id)}`;
  return {
    // Who the token names and what it opens (docs/api.md section 2).
    me: () => send("GET", "/auth/me"),
    listRuns: (limit = 100) => send("GET", `/runs?limit=${limit}`),
    getRun: (id) => send("GET", run(id)),
    // body: {command} or {stages: [{name, command}]}, and workspaceId, executor, tty, cols, rows
    // (docs/api.md 3.1); fields left undefined are not sent.
    startRun: (body) => send("POST", "/runs", { body }),
    // 409: the run finished meanwhile; the caller just refreshes.
    cancelRun: (id) => send("POST", `${run(id)}/cancel`, { allow: [409] }),
    fetchLog: (id) => send("GET", `${run(id)}/log`, { raw: true }),
  };
}
