/** @jsxImportSource hono/jsx/dom */
// A room as its participant sees it: the top pin, the channels, tips, the
// messages (older ones loaded on scroll) and the composer.
import { useEffect, useRef, useState } from "hono/jsx/dom";
import type { ChatMessage, HistoryPage, Room, Session } from "@chatpop-edge/client";
import { PayDialog } from "../pay-dialog";
import { api, errorText, paymentNotice } from "../shared";
import { MessageItem } from "./message-item";
import { PinPicker } from "./pin-picker";
import { TipForm } from "./tip-form";
import { useRoomConnection, type Channel } from "./use-room-connection";

/** Shows what a purchase answered, and opens the card form when it waits for the card. */
export type Bought = (what: string, answer: { transaction: { status: string; amount_cents: number }; client_secret?: string | null }) => void;

function Countdown({ until }: { until: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const left = Math.max(0, Math.round((Date.parse(until) - now) / 1000));
  return <span class="countdown">{Math.floor(left / 60)}:{String(left % 60).padStart(2, "0")}</span>;
}

export function RoomView({ room, session, firstPage, leave }: { room: Room; session: Session; firstPage: HistoryPage | null; leave: () => void }) {
  const [channel, setChannel] = useState<Channel>("main");
  const [notice, setNotice] = useState("");
  const { messages, pins, before, status, online, backroom, joinedBackroom, loadOlder, send } = useRoomConnection(room, session, channel, setNotice, firstPage);
  const [text, setText] = useState("");
  const [replyTo, setReplyTo] = useState<ChatMessage | null>(null);
  /** The message whose pin choices are open, if any. */
  const [pinning, setPinning] = useState<ChatMessage | null>(null);
  /** A purchase waiting for the card (402), confirmed in PayDialog. */
  const [paying, setPaying] = useState<{ clientSecret: string; what: string } | null>(null);
  const list = useRef<HTMLDivElement | null>(null);

  const bought: Bought = (what, answer) => {
    setNotice(paymentNotice(what, answer));
    if (answer.transaction.status === "pending" && answer.client_secret) setPaying({ clientSecret: answer.client_secret, what });
  };
  const act = (fn: () => Promise<unknown>) => () => fn().catch((e) => setNotice(errorText(e)));

  useEffect(() => {
    const el = list.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 200) el.scrollTop = el.scrollHeight;
  }, [messages.length]);

  /** Older messages above, keeping the view where it was. */
  const older = async () => {
    const el = list.current!;
    const height = el.scrollHeight;
    await loadOlder();
    requestAnimationFrame(() => (el.scrollTop = el.scrollHeight - height));
  };

  const submit = (e: Event) => {
    e.preventDefault();
    if (!text.trim()) return;
    send(text, replyTo);
    setText("");
    setReplyTo(null);
  };

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
        {(backroom.member || session.is_host) && <button class={channel === "backroom" ? "active" : ""} onClick={() => setChannel("backroom")}>Back room</button>}
        {!backroom.member && !session.is_host && backroom.price !== null && (
          <button
            class="join-backroom"
            onClick={act(async () => {
              const answer = await api.joinBackroom(room.code, session.session_token);
              bought("Back-room seat", answer);
              if (answer.transaction.status === "completed") joinedBackroom();
            })}
          >
            Join the back room (${(backroom.price / 100).toFixed(2)})
          </button>
        )}
      </nav>
      {!session.is_host && <TipForm room={room} session={session} act={act} bought={bought} />}
      {pinning && <PinPicker message={pinning} top={pins[0]} room={room} session={session} act={act} bought={bought} close={() => setPinning(null)} />}
      {paying && <PayDialog clientSecret={paying.clientSecret} what={paying.what} close={(outcome) => (setPaying(null), setNotice(outcome))} />}
      {notice && <p class="notice" role="status" onClick={() => setNotice("")}>{notice}</p>}
      <div class="messages" ref={list} onScroll={(e: any) => e.target.scrollTop < 40 && void older()} data-testid="messages">
        {before && <button class="older" onClick={older}>Load older messages</button>}
        {messages.map((m) => (
          <MessageItem key={m.id} m={m} room={room} session={session} act={act} reply={() => setReplyTo(m)} pin={() => setPinning(m)} />
        ))}
      </div>
      <form class="composer" onSubmit={submit}>
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
