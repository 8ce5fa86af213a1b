// Logging out ends the login's room sessions everywhere: REST refuses them
// (below), and every socket they opened, in every room it joined,
// is told SESSION_ENDED and closed with 4003 at once; the same account's other
// logins and anonymous sockets stay.
import { describe, expect, it } from "vitest";
import { CLOSE_BAD_TOKEN } from "../src/protocol";
import { api, connect, join, register, settled, unique, Client, connectRaw } from "./support/api";
import { hostedRoom, ban, sendRest } from "./support/room-actions";

async function login(email: string, password: string): Promise<string> {
  const res = await api("POST", "/api/auth/login/", { body: { email, password } });
  expect(res.status).toBe(200);
  return res.body.token;
}

describe("logout closes the login's open sockets", () => {
  it("in every room it joined, while another login of the account and anonymous sockets keep chatting", async () => {
    const [a, b] = [await hostedRoom(), await hostedRoom()];
    const account = await register();
    const otherLogin = await login(account.user.email, account.password);
    const inA = await connect(a.room.code, (await join(a.room.code, unique("me_"), { token: account.token })).session_token);
    const inB = await connect(b.room.code, (await join(b.room.code, unique("me_"), { token: account.token })).session_token);
    const sameAccountElsewhere = await connect(a.room.code, (await join(a.room.code, "ignored", { token: otherLogin })).session_token);
    const anon = await connect(a.room.code, (await join(a.room.code, unique("anon_"))).session_token);
    for (const s of [inA, inB, sameAccountElsewhere, anon]) await s.until("presence", () => s.frames.some((f) => f.type === "presence"));

    expect((await api("POST", "/api/auth/logout/", { token: account.token })).status).toBe(204);
    for (const s of [inA, inB]) {
      expect((await s.waitForClose()).code).toBe(CLOSE_BAD_TOKEN);
      expect(s.frames.find((f) => f.type === "error")).toMatchObject({ code: "SESSION_ENDED" });
    }
    // Nothing the closed sockets could still send reaches the room; the others chat on.
    sameAccountElsewhere.send({ message: "still logged in here", client_id: "other-login" });
    anon.send({ message: "anonymous", client_id: "anon" });
    await sameAccountElsewhere.until("its ack", () => sameAccountElsewhere.frames.some((f) => f.client_id === "other-login"));
    await anon.until("its ack", () => anon.frames.some((f) => f.client_id === "anon"));
    expect(sameAccountElsewhere.closed).toBeNull();
    expect(anon.closed).toBeNull();
    await settled(a.room.code);
    const history = await api("GET", `/api/chats/${a.room.code}/messages/`);
    expect(history.body.messages.map((m: { content: string }) => m.content).sort()).toEqual(["anonymous", "still logged in here"]);
    sameAccountElsewhere.close();
    anon.close();
  });
});

describe("logout ends the room sessions the login minted", () => {
  it("refuses them on REST and at socket connect, the host's included", async () => {
    const { host, room, hostSession } = await hostedRoom();
    const account = await register();
    const member = await join(room.code, account.user.reserved_username, { token: account.token });
    const anon = await join(room.code, "anon_stays");
    const socket = await connect(room.code, member.session_token);
    socket.close();
    for (const token of [account.token, host.token]) expect((await api("POST", "/api/auth/logout/", { token })).status).toBe(204);

    const send = await sendRest(room.code, member.session_token, "after logout");
    expect([send.status, send.body.code]).toEqual([401, "SESSION_ENDED"]);
    const read = await api("GET", `/api/chats/${room.code}/messages/`, { headers: { "X-Session-Token": member.session_token } });
    expect(read.body.code).toBe("SESSION_ENDED");
    const hostPower = await ban(room.code, hostSession.session_token, { username: anon.username });
    expect([hostPower.status, hostPower.body.code]).toEqual([401, "SESSION_ENDED"]);
    const ws = await connectRaw(room.code, `?session_token=${encodeURIComponent(member.session_token)}`);
    ws.webSocket!.accept();
    expect((await new Client(ws.webSocket!).waitForClose()).code).toBe(CLOSE_BAD_TOKEN);
    // An anonymous session has no login to end.
    expect((await sendRest(room.code, anon.session_token, "still fine")).status).toBe(201);
  });
});
