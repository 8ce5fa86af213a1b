/** @jsxImportSource hono/jsx/dom */
import { useState } from "hono/jsx/dom";
import type { Room, Session } from "@chatpop-edge/client";
import { TIP_AMOUNTS, api, usd } from "../shared";
import type { Bought } from "./room-view";

/** A tip to the host, of one of the fixed amounts. */
export function TipForm(props: { room: Room; session: Session; act: (fn: () => Promise<unknown>) => () => void; bought: Bought }) {
  const [cents, setCents] = useState(TIP_AMOUNTS[0]!);
  return (
    <form
      class="tip"
      onSubmit={(e: Event) => {
        e.preventDefault();
        void props.act(async () => props.bought("Tip to the host", await api.tip(props.room.code, props.session.session_token, cents)))();
      }}
    >
      <select name="tip-amount" value={String(cents)} onChange={(e: any) => setCents(Number(e.target.value))}>
        {TIP_AMOUNTS.map((c) => (
          <option value={String(c)}>{usd(c)}</option>
        ))}
      </select>
      <button type="submit">Tip the host</button>
    </form>
  );
}
