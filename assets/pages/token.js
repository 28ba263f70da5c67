// Shared by the viewer and player pages, which load videos, posters and links themselves: the
// API token they were opened with (?access_token=<token>), passed on in every URL they load and
// as a header in their API requests; and the element helper both build with.
/** The optional API token, as this page was opened with it (`?access_token=`). */
const TOKEN = new URLSearchParams(location.search).get("access_token");

/** `url` carrying the token, for what the browser loads itself (videos, posters, links). */
function withToken(url) {
  if (!TOKEN) return url;
  const target = new URL(url, location.href);
  target.searchParams.set("access_token", TOKEN);
  return target.pathname + target.search;
}

/** A request to the API carrying the token in its header. */
function api(url, method) {
  const headers = TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {};
  return fetch(url, { method: method || "GET", headers });
}

/** Creates an element with optional class and text. */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}
