// Shared by the /stats and /daily pages: their data requests, carrying the API token when the
// service has one. Open a page as /stats#token=<token> once; the token is kept for this tab
// (sessionStorage) and removed from the address bar.
"use strict";

const TOKEN_KEY = "frigate-buffer-api-token";

(function takeTokenFromAddress() {
  const match = location.hash.match(/(?:^#|&)token=([^&]*)/);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
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
