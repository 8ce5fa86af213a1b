/** @jsxImportSource hono/jsx/dom */
import type { ChatMessage, Room, Session } from "@chatpop-edge/client";
import { REACTIONS, api } from "../shared";

/** One message with what the viewer may do to it: react, reply, pin, delete (author, host) and ban (host). */
export function MessageItem(props: { m: ChatMessage; room: Room; session: Session; act: (fn: () => Promise<unknown>) => () => void; reply: () => void; pin: () => void }) {
  const { m, room, session, act } = props;
  const code = room.code;
  const token = session.session_token;
  return (
    <article class={`message ${m.message_type}`} data-seq={m.seq}>
      {m.reply_to_message && <blockquote>{m.reply_to_message.username}: {m.reply_to_message.content ?? "(deleted)"}</blockquote>}
      <p>
        <b class="author">{m.username}</b>
        {m.username_is_reserved && <span class="badge" title="verified">✓</span>}
        {m.is_from_host && <span class="host">host</span>} <span class="content">{m.content}</span>
      </p>
      <div class="actions">
        {m.reactions.map((r) => (
          <button class="reaction" onClick={act(() => api.react(code, m.id, token, r.emoji))}>{r.emoji} {r.count}</button>
        ))}
        {REACTIONS.map((emoji) => (
          <button class="add-reaction" title={`React ${emoji}`} onClick={act(() => api.react(code, m.id, token, emoji))}>{emoji}</button>
        ))}
        <button onClick={props.reply}>Reply</button>
        {m.channel === "main" && <button class="pin" onClick={props.pin}>Pin…</button>}
        {(session.is_host || m.username === session.username) && <button onClick={act(() => api.deleteMessage(code, m.id, token))}>Delete</button>}
        {session.is_host && m.message_type === "normal" && (
          <button onClick={act(() => api.ban(code, token, m.user_id ? { user_id: m.user_id, announce: true } : { username: m.username, announce: true }))}>Ban</button>
        )}
      </div>
    </article>
  );
}
