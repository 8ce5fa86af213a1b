// The room's state as the page shows it: history first (REST, Postgres), then
// the socket, resumed after the newest message shown, keeping the messages,
// pins, presence and connection status up to date. One channel at a time.
import { useEffect, useRef, useState } from "hono/jsx/dom";
import { RoomConnection, type ChatMessage, type ConnectionStatus, type HistoryPage, type Room, type Session } from "@chatpop-edge/client";
import { api, errorText } from "../shared";

/** Set by the build (dev/build-web.ts): the browser tests' handle on the socket, left out of a production bundle. */
declare const __TEST_HOOKS__: boolean;

export type Channel = "main" | "backroom";

/** `firstPage`: the main room's page the entry answered with, shown without asking again (once). */
export function useRoomConnection(room: Room, session: Session, channel: Channel, notify: (text: string) => void, firstPage: HistoryPage | null = null) {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [pins, setPins] = useState<ChatMessage[]>([]);
  const [before, setBefore] = useState<string | null>(null);
  const [status, setStatus] = useState<ConnectionStatus>("connecting");
  const [online, setOnline] = useState(0);
  const [backroom, setBackroom] = useState<{ member: boolean; price: number | null }>({ member: false, price: null });
  const conn = useRef<RoomConnection | null>(null);
  const given = useRef<HistoryPage | null>(firstPage);

  const upsert = (m: ChatMessage) =>
    setMessages((all) => (all.some((x) => x.id === m.id) ? all.map((x) => (x.id === m.id ? { ...x, ...m } : x)) : [...all, m].sort((a, b) => a.seq - b.seq)));

  useEffect(() => {
    let connection: RoomConnection | null = null;
    (async () => {
      const page = (channel === "main" && given.current) || (await api.history(room.code, { sessionToken: session.session_token, limit: 50, channel }));
      given.current = null;
      setMessages(page.messages);
      setPins(page.pinned_messages);
      setBefore(page.has_more ? page.next_before : null);
      if (channel === "main") {
        // Beside the socket, not before it: the back room's offer is no reason to wait for the chat.
        void api.backroom(room.code, session.session_token).then(
          (bk) => setBackroom({ member: Boolean(bk.backroom.is_member), price: bk.backroom.enabled && bk.backroom.seats_left > 0 ? bk.backroom.price_cents : null }),
          () => setBackroom({ member: false, price: null }),
        );
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
      if (__TEST_HOOKS__) (window as any).__chatpop = connection;
      connection.on("status", (s) => setStatus(s.status));
      connection.on("presence", (p) => setOnline(p.count));
      connection.on("message", (m) => (m.channel ?? "main") === channel && upsert(m));
      connection.on("reaction", (r) => setMessages((all) => all.map((m) => (m.id === r.message_id ? { ...m, reactions: r.reactions } : m))));
      connection.on("message_deleted", (d) => setMessages((all) => all.filter((m) => m.id !== d.message_id)));
      connection.on("pinned", (p) => setPins((all) => [p.message, ...all.filter((m) => m.id !== p.message.id)].sort((a, b) => b.pin_amount_cents - a.pin_amount_cents)));
      connection.on("unpinned", (u) => setPins((all) => all.filter((m) => m.id !== u.message_id)));
      connection.on("kicked", (k) => notify(`${k.message} You cannot rejoin this room.`));
      // Too much was missed to replay: show the newest, and page the rest with "Load older".
      connection.on("gap", (g) => {
        if (g.channel !== channel) return;
        setMessages((all) => all.filter((m) => m.seq > g.to_seq));
        setBefore(g.before);
      });
      connection.on("error", (e) => notify(e.error));
      connection.connect();
    })().catch((e) => notify(errorText(e)));
    return () => connection?.close();
  }, [channel]);

  /** The page of messages before the oldest shown. */
  const loadOlder = async () => {
    if (!before) return;
    const page = await api.history(room.code, { before, sessionToken: session.session_token, limit: 50, channel });
    setMessages((all) => [...page.messages, ...all.filter((m) => !page.messages.some((p) => p.id === m.id))]);
    setBefore(page.has_more ? page.next_before : null);
  };

  const send = (text: string, replyTo: ChatMessage | null) => conn.current?.send(text, { replyTo: replyTo?.id, channel });

  return { messages, pins, before, status, online, backroom, joinedBackroom: () => setBackroom((b) => ({ ...b, member: true })), loadOlder, send };
}
