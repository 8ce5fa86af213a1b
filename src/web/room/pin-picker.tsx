/** @jsxImportSource hono/jsx/dom */
import type { ChatMessage, Room, Session } from "@chatpop-edge/client";
import { PIN_TIERS, minimumToOutbid } from "../../protocol";
import { api, usd } from "../shared";
import type { Bought } from "./room-view";

/** The pin tiers a message can be pinned at: what each buys, and the minimum to outbid the top pin. */
export function PinPicker(props: { message: ChatMessage; top: ChatMessage | undefined; room: Room; session: Session; act: (fn: () => Promise<unknown>) => () => void; bought: Bought; close: () => void }) {
  const { message, top } = props;
  const outbid = top && top.id !== message.id ? minimumToOutbid(top.pin_amount_cents) : null;
  return (
    <div class="pin-choices" data-testid="pin-choices">
      <p>
        Pin “{message.content.slice(0, 40)}”: {outbid !== null ? `outbid the top pin (${usd(top!.pin_amount_cents)}) with ${usd(outbid)} or more` : "choose how long it stays on top"}
      </p>
      {PIN_TIERS.filter((t) => t.cents >= (outbid ?? 0))
        .slice(0, 8)
        .map((t) => (
          <button
            class="pin-tier"
            data-cents={t.cents}
            onClick={props.act(async () => {
              const answer = await api.pin(props.room.code, message.id, props.session.session_token, t.cents);
              props.close();
              props.bought(`Pin (${t.minutes} min)`, answer);
            })}
          >
            {usd(t.cents)} · {t.minutes} min
          </button>
        ))}
      <button onClick={props.close}>Cancel</button>
    </div>
  );
}
