/** @jsxImportSource hono/jsx/dom */
// The ChatPop web app, served by the Worker as static assets (built by
// dev/build-web.ts). It uses only the typed client, as its package @chatpop-edge/client.
import { render, useEffect, useState } from "hono/jsx/dom";
import type { HistoryPage, Room, Session } from "@chatpop-edge/client";
import { Home, JoinForm } from "./home";
import { RoomView } from "./room/room-view";
import { api, errorText, savedSession } from "./shared";

function App() {
  const [code, setCode] = useState<string | null>(new URLSearchParams(location.search).get("room"));
  const [room, setRoom] = useState<Room | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState("");
  // The page the entry answered with: the room view shows it rather than asking for it again.
  const [firstPage, setFirstPage] = useState<HistoryPage | null>(null);

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
  if (!session) return <JoinForm room={room} joined={(s, page) => (setFirstPage(page), setSession(s))} />;
  return <RoomView room={room} session={session} firstPage={firstPage} leave={leave} />;
}

render(<App />, document.getElementById("app")!);
