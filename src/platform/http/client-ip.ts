import type { Context } from "hono";
import { ApiError } from "../errors";
import { clientIpKey } from "../../domain/client-ip";
import type { AppEnv } from "./context";

/**
 * The caller's address key from CF-Connecting-IP. Cloudflare's edge always
 * sets it, so a request without it did not come through the edge: refuse it
 * rather than let every such caller share (or dodge) the per-IP rules.
 */
export function requireClientIp(c: Context<AppEnv>): string {
  const raw = c.req.header("CF-Connecting-IP");
  if (!raw) {
    throw new ApiError(400, "CLIENT_IP_REQUIRED", "The request has no CF-Connecting-IP header; send it through the Cloudflare edge (or wrangler dev).");
  }
  const key = clientIpKey(raw);
  if (!key) throw new ApiError(400, "INVALID_CLIENT_IP", "The CF-Connecting-IP header is not a valid IP address.");
  return key;
}
