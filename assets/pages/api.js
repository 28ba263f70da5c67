// Shared by the /stats and /daily pages: their data requests, carrying the API token when the
// service has one. Open a page once as /stats?access_token=<token> (as every page) or
// /stats#token=<token>; the token is kept for this tab (sessionStorage) and removed from the
// address bar.
"use strict";

const TOKEN_KEY = "frigate-buffer-api-token";

(function takeTokenFromAddress() {
  const query = new URLSearchParams(location.search);
  const match = location.hash.match(/(?:^#|&)token=([^&]*)/);
  const token = query.get("access_token") ?? (match ? decodeURIComponent(match[1]) : null);
  if (token !== null) {
    sessionStorage.setItem(TOKEN_KEY, token);
    query.delete("access_token");
    const rest = query.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : ""));
  }
})();

/** GETs `path` as JSON, with `Authorization: Bearer <token>` when a token is known. */
async function apiGet(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, { headers: token ? { Authorization: "Bearer " + token } : {} });
  if (response.status === 401) {
    throw new Error("This service needs its API token: open this page as " + location.pathname + "#token=<token>.");
  }
  if (!response.ok) throw new Error(path + ": HTTP " + response.status);
  return response.json();
}

/** Creates an element with optional class and text. */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Shows `error` in place of `target`'s content. */
function showError(target, error) {
  target.replaceChildren(element("p", "error", String(error.message || error)));
}
