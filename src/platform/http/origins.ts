// ALLOWED_ORIGINS: the sites whose pages may open the room's WebSocket and
// call the API from a browser, comma-separated. "self" is the site the
// request came to (the web app this Worker serves), which is what a deploy
// ships with; "*" allows any (local development and tests only).
export function allowedOrigins(setting: string | undefined): string[] | "*" {
  const list = (setting ?? "self").split(",").map((o) => o.trim().replace(/\/+$/, "")).filter(Boolean);
  return list.includes("*") ? "*" : list.length === 0 ? ["self"] : list;
}

/** Whether a page from `origin` may call this API; `requestUrl` is what "self" means. */
export function originAllowed(setting: string | undefined, origin: string, requestUrl: string): boolean {
  const allowed = allowedOrigins(setting);
  if (allowed === "*") return true;
  const wanted = origin.replace(/\/+$/, "");
  return allowed.some((o) => (o === "self" ? new URL(requestUrl).origin : o) === wanted);
}
