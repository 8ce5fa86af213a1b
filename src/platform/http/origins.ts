// ALLOWED_ORIGINS: the sites whose pages may open the room's WebSocket and
// call the API from a browser. Unset or "*" allows any (local development);
// a deploy lists its web client's origins, comma-separated.
export function allowedOrigins(setting: string | undefined): string[] | "*" {
  const list = (setting ?? "*").split(",").map((o) => o.trim().replace(/\/+$/, "")).filter(Boolean);
  return list.length === 0 || list.includes("*") ? "*" : list;
}

export function originAllowed(setting: string | undefined, origin: string): boolean {
  const allowed = allowedOrigins(setting);
  return allowed === "*" || allowed.includes(origin.replace(/\/+$/, ""));
}
