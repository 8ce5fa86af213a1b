/** @jsxImportSource hono/jsx/dom */
// The screens before a room: log in or register, the host's earnings and a new
// room, opening a room by code, and joining it.
import { useEffect, useState } from "hono/jsx/dom";
import type { HistoryPage, Room, Session } from "@chatpop-edge/client";
import { api, errorText, fingerprint, forgetSessions, sessionKey, usd } from "./shared";

/** The host's income per room. */
function Earnings() {
  const [rows, setRows] = useState<{ code: string; name: string; total_cents: number; tips_cents: number; pins_cents: number; back_room_cents: number }[]>([]);
  const [total, setTotal] = useState(0);
  useEffect(() => {
    api.earnings({ limit: 100 }).then((e) => (setRows(e.rooms), setTotal(e.total_cents)), () => {});
  }, []);
  if (rows.length === 0) return null;
  return (
    <section class="earnings" data-testid="earnings">
      <h2>Your earnings: {usd(total)}</h2>
      <ul>
        {rows.map((r) => (
          <li key={r.code}>
            <b>{r.name}</b> #{r.code}: {usd(r.total_cents)} (tips {usd(r.tips_cents)}, pins {usd(r.pins_cents)}, back room {usd(r.back_room_cents)})
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Home({ open }: { open: (code: string) => void }) {
  const [me, setMe] = useState<string | null>(null);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [reserved, setReserved] = useState("");
  const [roomName, setRoomName] = useState("");
  const [code, setCode] = useState(new URLSearchParams(location.search).get("room") ?? "");
  const [error, setError] = useState("");

  useEffect(() => {
    if (api.token) api.me().then((r) => setMe(r.reserved_username ?? r.email), () => (api.token = null));
  }, []);

  const guard = (fn: () => Promise<void>) => async (e: Event) => {
    e.preventDefault();
    setError("");
    try {
      await fn();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const keepToken = () => (api.token ? localStorage.setItem("chatpop:token", api.token) : localStorage.removeItem("chatpop:token"));

  return (
    <main class="home">
      <h1>ChatPop</h1>
      {error && <p class="error" role="alert">{error}</p>}
      {me ? (
        <section>
          <p>
            Logged in as <b>{me}</b>{" "}
            <button onClick={guard(async () => (await api.logout(), keepToken(), forgetSessions(), setMe(null)))}>Log out</button>
          </p>
          <Earnings />
          <form onSubmit={guard(async () => open((await api.createRoom({ name: roomName })).code))}>
            <h2>Create a room</h2>
            <input name="room-name" placeholder="Room name" value={roomName} onInput={(e: any) => setRoomName(e.target.value)} />
            <button type="submit">Create</button>
          </form>
        </section>
      ) : (
        <form>
          <h2>Log in or register</h2>
          <input name="email" placeholder="Email" value={email} onInput={(e: any) => setEmail(e.target.value)} />
          <input name="password" type="password" placeholder="Password" value={password} onInput={(e: any) => setPassword(e.target.value)} />
          <input name="reserved" placeholder="Username to reserve (to register)" value={reserved} onInput={(e: any) => setReserved(e.target.value)} />
          <button onClick={guard(async () => (await api.login(email, password), keepToken(), setMe(((me) => me.reserved_username ?? me.email)(await api.me()))))}>Log in</button>
          <button onClick={guard(async () => (await api.register(email, password, reserved), keepToken(), setMe(reserved || email)))}>Register</button>
        </form>
      )}
      <form onSubmit={guard(async () => open(code.trim()))}>
        <h2>Join a room</h2>
        <input name="code" placeholder="Room code" value={code} onInput={(e: any) => setCode(e.target.value)} />
        <button type="submit">Open</button>
      </form>
    </main>
  );
}

export function JoinForm({ room, joined }: { room: Room; joined: (s: Session, page: HistoryPage) => void }) {
  const [username, setUsername] = useState("");
  const [accessCode, setAccessCode] = useState("");
  const [error, setError] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      // One request for the session and the first screen's messages (the room view skips its history call).
      const { room: _room, history, ...s } = await api.enter(room.code, { username, fingerprint: fingerprint(), access_code: accessCode || undefined });
      localStorage.setItem(sessionKey(room.code), JSON.stringify(s));
      joined(s, history);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form class="join" onSubmit={submit}>
      <h2>Join {room.name}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <input name="username" placeholder="Username (5–15 letters, digits, _)" value={username} onInput={(e: any) => setUsername(e.target.value)} />
      {room.access_mode === "private" && <input name="access-code" placeholder="Access code" value={accessCode} onInput={(e: any) => setAccessCode(e.target.value)} />}
      <button type="submit">Join{api.token ? " (logged in)" : " anonymously"}</button>
    </form>
  );
}
