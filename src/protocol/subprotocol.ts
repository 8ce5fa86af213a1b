// The room session token on a WebSocket upgrade, without putting it in the URL:
// browsers cannot set headers on a WebSocket, but they can offer subprotocols.
// A client offers `chatpop` and `chatpop.token.<session token>`; the server
// picks `chatpop`, so the token is never echoed back.
export const SUBPROTOCOL = "chatpop";
const TOKEN_PREFIX = `${SUBPROTOCOL}.token.`;

/** The subprotocols a client offers to connect with this token. */
export const protocolsFor = (token: string) => [SUBPROTOCOL, `${TOKEN_PREFIX}${token}`];

/** The session token among the offered subprotocols, if any. */
export function tokenFromProtocols(offered: string | undefined | null): string | null {
  if (!offered) return null;
  for (const p of offered.split(",")) {
    const value = p.trim();
    if (value.startsWith(TOKEN_PREFIX)) return value.slice(TOKEN_PREFIX.length) || null;
  }
  return null;
}

/** The handshake's answer header: `chatpop` when the client offered it, nothing otherwise. */
export function protocolAnswer(offered: string | undefined | null): Record<string, string> {
  const chosen = offered?.split(",").some((p) => p.trim() === SUBPROTOCOL);
  return chosen ? { "Sec-WebSocket-Protocol": SUBPROTOCOL } : {};
}
