/** @jsxImportSource hono/jsx/dom */
// The ChatPop web app, served by the Worker as static assets (built by
// dev/build-web.ts). It uses only the typed client in src/client.
import { render, useEffect, useRef, useState } from "hono/jsx/dom";
import { ApiFailure, ChatPopApi, RoomConnection, type ChatMessage, type ConnectionStatus, type Room, type Session } from "../client/chatpop-client";
import { PIN_TIERS, minimumToOutbid } from "../protocol";

const api = new ChatPopApi("");
const REACTIONS = ["👍", "❤️", "😂", "🔥"];

// The anonymous visitor's stable id, and per-room sessions so a reload keeps the seat.
function fingerprint(): string {
  let fp = localStorage.getItem("chatpop:fingerprint");
  if (!fp) localStorage.setItem("chatpop:fingerprint", (fp = crypto.randomUUID()));
  return fp;
}
const sessionKey = (code: string) => `chatpop:session:${code}`;
const savedSession = (code: string): Session | null => JSON.parse(localStorage.getItem(sessionKey(code)) ?? "null");
/** Logging out ends the room sessions the login minted: forget them all. */
function forgetSessions() {
  for (const key of Object.keys(localStorage)) if (key.startsWith("chatpop:session:")) localStorage.removeItem(key);
}
api.token = localStorage.getItem("chatpop:token");

const errorText = (e: unknown) => (e instanceof ApiFailure ? e.message : e instanceof Error ? e.message : String(e));

const usd = (cents: number) => `$${(cents / 100).toFixed(cents % 100 === 0 ? 0 : 2)}`;
const TIP_AMOUNTS = [100, 200, 500, 1000, 2000];

/** What a purchase answer means for the buyer: paid (200), or waiting for the card (402). */
function paymentNotice(what: string, answer: { transaction: { status: string; amount_cents: number } }): string {
  return answer.transaction.status === "pending"
    ? `${what}: payment of ${usd(answer.transaction.amount_cents)} pending — confirm it with your card to finish.`
    : `${what}: paid ${usd(answer.transaction.amount_cents)}.`;
}

/** How this server takes card payments: Stripe's publishable key and Stripe.js, when Stripe is used. */
const payments = api.service().then((s) => s.payments, () => null);
let stripeScript: Promise<any> | null = null;

function loadStripe(src: string): Promise<any> {
  stripeScript ??= new Promise((resolve, reject) => {
    const tag = document.createElement("script");
    tag.src = src;
    tag.onload = () => resolve((window as any).Stripe);
    tag.onerror = () => reject(new Error("Stripe.js could not be loaded; check your connection and try again."));
    document.head.appendChild(tag);
  });
  return stripeScript;
}

/** A purchase that answered 402: the buyer confirms it here with Stripe's Payment Element; the webhook applies it. */
function PayDialog({ clientSecret, what, close }: { clientSecret: string; what: string; close: (outcome: string) => void }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const stripe = useRef<any>(null);
  const elements = useRef<any>(null);
  useEffect(() => {
    payments.then(async (p) => {
      if (!p?.publishable_key || !p.stripe_js) return setError("Card payments are not set up on this server.");
      const Stripe = await loadStripe(p.stripe_js);
      stripe.current = Stripe(p.publishable_key);
      elements.current = stripe.current.elements({ clientSecret });
      elements.current.create("payment").mount("#payment-element");
    }).catch((e: unknown) => setError(errorText(e)));
  }, []);
  const pay = async (e: Event) => {
    e.preventDefault();
    if (!stripe.current) return;
    setBusy(true);
    setError("");
    const result = await stripe.current.confirmPayment({ elements: elements.current, redirect: "if_required", confirmParams: { return_url: location.href } });
    setBusy(false);
    if (result.error) return setError(result.error.message ?? "The payment did not go through.");
    close(`${what}: payment confirmed.`);
  };
  return (
    <form class="pay" data-testid="pay" onSubmit={pay}>
      <h2>Pay for {what.toLowerCase()}</h2>
      <div id="payment-element" />
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" disabled={busy}>{busy ? "Paying…" : "Pay"}</button>
      <button type="button" onClick={() => close(`${what}: payment not finished; nothing was charged.`)}>Cancel</button>
    </form>
  );
}

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

function Home({ open }: { open: (code: string) => void }) {
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

function JoinForm({ room, joined }: { room: Room; joined: (s: Session) => void }) {
  const [username, setUsername] = useState("");
  const [accessCode, setAccessCode] = useState("");
  const [error, setError] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const s = await api.join(room.code, { username, fingerprint: fingerprint(), access_code: accessCode || undefined });
      localStorage.setItem(sessionKey(room.code), JSON.stringify(s));
      joined(s);
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

function Countdown({ until }: { until: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const left = Math.max(0, Math.round((Date.parse(until) - now) / 1000));
  return <span class="countdown">{Math.floor(left / 60)}:{String(left % 60).padStart(2, "0")}</span>;
}

function ChatRoom({ room, session, leave }: { room: Room; session: Session; leave: () => void }) {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [pins, setPins] = useState<ChatMessage[]>([]);
  const [before, setBefore] = useState<string | null>(null);
  const [status, setStatus] = useState<ConnectionStatus>("connecting");
  const [online, setOnline] = useState(0);
  const [text, setText] = useState("");
  const [replyTo, setReplyTo] = useState<ChatMessage | null>(null);
  const [channel, setChannel] = useState<"main" | "backroom">("main");
  const [inBackroom, setInBackroom] = useState(false);
  const [backroomPrice, setBackroomPrice] = useState<number | null>(null);
  const [notice, setNotice] = useState("");
  /** The message whose pin choices are open, if any. */
  const [pinning, setPinning] = useState<ChatMessage | null>(null);
  const [tipCents, setTipCents] = useState(TIP_AMOUNTS[0]!);
  /** A purchase waiting for the card (402), confirmed in PayDialog. */
  const [paying, setPaying] = useState<{ clientSecret: string; what: string } | null>(null);
  /** Shows what a purchase answered, and opens the card form when it waits for the card. */
  const bought = (what: string, answer: { transaction: { status: string; amount_cents: number }; client_secret?: string | null }) => {
    setNotice(paymentNotice(what, answer));
    if (answer.transaction.status === "pending" && answer.client_secret) setPaying({ clientSecret: answer.client_secret, what });
  };
  const conn = useRef<RoomConnection | null>(null);
  const list = useRef<HTMLDivElement | null>(null);

  const upsert = (m: ChatMessage) =>
    setMessages((all) => (all.some((x) => x.id === m.id) ? all.map((x) => (x.id === m.id ? { ...x, ...m } : x)) : [...all, m].sort((a, b) => a.seq - b.seq)));

  // History first (REST, Postgres), then the socket resumes after the newest message shown.
  useEffect(() => {
    let connection: RoomConnection | null = null;
    (async () => {
      const page = await api.history(room.code, { sessionToken: session.session_token, limit: 50, channel });
      setMessages(page.messages);
      setPins(page.pinned_messages);
      setBefore(page.has_more ? page.next_before : null);
      if (channel === "main") {
        const bk = await api.backroom(room.code, session.session_token).catch(() => null);
        setInBackroom(Boolean(bk?.backroom.is_member));
        setBackroomPrice(bk?.backroom.enabled && bk.backroom.seats_left > 0 ? bk.backroom.price_cents : null);
      }
      const newest = page.messages.at(-1)?.seq ?? 0;
      connection = new RoomConnection({
        baseUrl: "",
        code: room.code,
        sessionToken: session.session_token,
        // Each channel resumes by its own seq; this connection shows one of them.
        ...(channel === "main" ? { lastSeq: newest } : { lastBackroomSeq: newest }),
      });
      conn.current = connection;
      (window as any).__chatpop = connection; // the browser tests drop the socket through this
      connection.on("status", (s) => setStatus(s.status));
      connection.on("presence", (p) => setOnline(p.count));
      connection.on("message", (m) => (m.channel ?? "main") === channel && upsert(m));
      connection.on("reaction", (r) => setMessages((all) => all.map((m) => (m.id === r.message_id ? { ...m, reactions: r.reactions } : m))));
      connection.on("message_deleted", (d) => setMessages((all) => all.filter((m) => m.id !== d.message_id)));
      connection.on("pinned", (p) => setPins((all) => [p.message, ...all.filter((m) => m.id !== p.message.id)].sort((a, b) => b.pin_amount_cents - a.pin_amount_cents)));
      connection.on("unpinned", (u) => setPins((all) => all.filter((m) => m.id !== u.message_id)));
      connection.on("kicked", (k) => setNotice(`${k.message} You cannot rejoin this room.`));
      // Too much was missed to replay: show the newest, and page the rest with "Load older".
      connection.on("gap", (g) => {
        if (g.channel !== channel) return;
        setMessages((all) => all.filter((m) => m.seq > g.to_seq));
        setBefore(g.before);
      });
      connection.on("error", (e) => setNotice(e.error));
      connection.connect();
    })().catch((e) => setNotice(errorText(e)));
    return () => connection?.close();
  }, [channel]);

  useEffect(() => {
    const el = list.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 200) el.scrollTop = el.scrollHeight;
  }, [messages.length]);

  const loadOlder = async () => {
    if (!before) return;
    const el = list.current!;
    const height = el.scrollHeight;
    const page = await api.history(room.code, { before, sessionToken: session.session_token, limit: 50, channel });
    setMessages((all) => [...page.messages, ...all.filter((m) => !page.messages.some((p) => p.id === m.id))]);
    setBefore(page.has_more ? page.next_before : null);
    requestAnimationFrame(() => (el.scrollTop = el.scrollHeight - height));
  };

  const send = (e: Event) => {
    e.preventDefault();
    if (!text.trim() || !conn.current) return;
    conn.current.send(text, { replyTo: replyTo?.id, channel });
    setText("");
    setReplyTo(null);
  };
  const act = (fn: () => Promise<unknown>) => () => fn().catch((e) => setNotice(errorText(e)));

  return (
    <main class="room">
      <header>
        <button class="back" onClick={leave}>←</button>
        <h1>{room.name}</h1>
        <span class="code">#{room.code}</span>
        <span class={`status status-${status}`} data-status={status}>{status}</span>
        <span class="online">{online} online</span>
      </header>
      {pins[0] && (
        <div class="pinned" data-testid="pinned">
          📌 <b>{pins[0].username}</b>: {pins[0].content} <Countdown until={pins[0].pinned_until!} />
        </div>
      )}
      <nav class="tabs">
        <button class={channel === "main" ? "active" : ""} onClick={() => setChannel("main")}>Room</button>
        {(inBackroom || session.is_host) && <button class={channel === "backroom" ? "active" : ""} onClick={() => setChannel("backroom")}>Back room</button>}
        {!inBackroom && !session.is_host && backroomPrice !== null && (
          <button
            class="join-backroom"
            onClick={act(async () => {
              const answer = await api.joinBackroom(room.code, session.session_token);
              bought("Back-room seat", answer);
              if (answer.transaction.status === "completed") setInBackroom(true);
            })}
          >
            Join the back room (${(backroomPrice / 100).toFixed(2)})
          </button>
        )}
      </nav>
      {!session.is_host && (
        <form
          class="tip"
          onSubmit={(e: Event) => {
            e.preventDefault();
            void act(async () => bought("Tip to the host", await api.tip(room.code, session.session_token, tipCents)))();
          }}
        >
          <select name="tip-amount" value={String(tipCents)} onChange={(e: any) => setTipCents(Number(e.target.value))}>
            {TIP_AMOUNTS.map((c) => (
              <option value={String(c)}>{usd(c)}</option>
            ))}
          </select>
          <button type="submit">Tip the host</button>
        </form>
      )}
      {pinning && (
        <div class="pin-choices" data-testid="pin-choices">
          <p>
            Pin “{pinning.content.slice(0, 40)}”:{" "}
            {pins[0] && pins[0].id !== pinning.id ? `outbid the top pin (${usd(pins[0].pin_amount_cents)}) with ${usd(minimumToOutbid(pins[0].pin_amount_cents))} or more` : "choose how long it stays on top"}
          </p>
          {PIN_TIERS.filter((t) => t.cents >= (pins[0] && pins[0].id !== pinning.id ? minimumToOutbid(pins[0].pin_amount_cents) : 0))
            .slice(0, 8)
            .map((t) => (
              <button
                class="pin-tier"
                data-cents={t.cents}
                onClick={act(async () => {
                  const answer = await api.pin(room.code, pinning.id, session.session_token, t.cents);
                  setPinning(null);
                  bought(`Pin (${t.minutes} min)`, answer);
                })}
              >
                {usd(t.cents)} · {t.minutes} min
              </button>
            ))}
          <button onClick={() => setPinning(null)}>Cancel</button>
        </div>
      )}
      {paying && <PayDialog clientSecret={paying.clientSecret} what={paying.what} close={(outcome) => (setPaying(null), setNotice(outcome))} />}
      {notice && <p class="notice" role="status" onClick={() => setNotice("")}>{notice}</p>}
      <div class="messages" ref={list} onScroll={(e: any) => e.target.scrollTop < 40 && void loadOlder()} data-testid="messages">
        {before && <button class="older" onClick={loadOlder}>Load older messages</button>}
        {messages.map((m) => (
          <article class={`message ${m.message_type}`} data-seq={m.seq} key={m.id}>
            {m.reply_to_message && <blockquote>{m.reply_to_message.username}: {m.reply_to_message.content ?? "(deleted)"}</blockquote>}
            <p>
              <b class="author">{m.username}</b>
              {m.username_is_reserved && <span class="badge" title="verified">✓</span>}
              {m.is_from_host && <span class="host">host</span>} <span class="content">{m.content}</span>
            </p>
            <div class="actions">
              {m.reactions.map((r) => (
                <button class="reaction" onClick={act(() => api.react(room.code, m.id, session.session_token, r.emoji))}>{r.emoji} {r.count}</button>
              ))}
              {REACTIONS.map((emoji) => (
                <button class="add-reaction" title={`React ${emoji}`} onClick={act(() => api.react(room.code, m.id, session.session_token, emoji))}>{emoji}</button>
              ))}
              <button onClick={() => setReplyTo(m)}>Reply</button>
              {m.channel === "main" && <button class="pin" onClick={() => setPinning(m)}>Pin…</button>}
              {(session.is_host || m.username === session.username) && <button onClick={act(() => api.deleteMessage(room.code, m.id, session.session_token))}>Delete</button>}
              {session.is_host && m.message_type === "normal" && (
                <button onClick={act(() => api.ban(room.code, session.session_token, m.user_id ? { user_id: m.user_id, announce: true } : { username: m.username, announce: true }))}>Ban</button>
              )}
            </div>
          </article>
        ))}
      </div>
      <form class="composer" onSubmit={send}>
        {replyTo && (
          <p class="replying">
            Replying to {replyTo.username} <button type="button" onClick={() => setReplyTo(null)}>×</button>
          </p>
        )}
        <input name="message" placeholder={`Message as ${session.username}`} value={text} onInput={(e: any) => setText(e.target.value)} maxLength={4000} />
        <button type="submit">Send</button>
      </form>
    </main>
  );
}

function App() {
  const [code, setCode] = useState<string | null>(new URLSearchParams(location.search).get("room"));
  const [room, setRoom] = useState<Room | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    if (!code) return setRoom(null);
    history.replaceState(null, "", `?room=${code}`);
    api.room(code).then(
      (r) => (setRoom(r), setSession(savedSession(r.code))),
      (e) => (setError(errorText(e)), setCode(null)),
    );
  }, [code]);

  const leave = () => (history.replaceState(null, "", "/"), setCode(null), setSession(null));
  if (!code || !room) return (<div>{error && <p class="error">{error}</p>}<Home open={setCode} /></div>);
  if (!session) return <JoinForm room={room} joined={setSession} />;
  return <ChatRoom room={room} session={session} leave={leave} />;
}

render(<App />, document.getElementById("app")!);
