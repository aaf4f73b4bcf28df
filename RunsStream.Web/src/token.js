// The access token: taken from the printed URL (?token=, then removed from the address bar)
// or typed once, and kept in sessionStorage (this tab only).

const KEY = "runsstream.token";
let memory = "";

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: keep the token in memory only
  }
}

export const tokenStore = {
  get: () => storage()?.getItem(KEY) ?? memory,
  set(token) {
    memory = token;
    storage()?.setItem(KEY, token);
  },
  clear() {
    memory = "";
    storage()?.removeItem(KEY);
  },
};

/** Moves ?token= from the address bar into the store, so it is neither bookmarked nor shared. */
export function takeTokenFromUrl() {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  if (token === null) return;
  url.searchParams.delete("token");
  window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
  if (token) tokenStore.set(token);
}
