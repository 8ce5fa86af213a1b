// A room's clock held still, and its alarm read. The room reads time through its `now` (send,
// reaction and frame allowances, seats of silent sockets, retry times), so a test of a
// rate can stop it and move it by hand: what it asserts then depends on the
// calls it makes, not on how fast the machine running it happens to be.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { ChatRoom } from "../../src/room/chat-room";

export interface RoomClock {
  /** Moves the room's time on by `ms`. */
  advance(ms: number): void;
}

/** Stops the clock of room `code`'s object at `at` (now, unless given) until the object restarts. */
export async function holdRoomClock(code: string, at = Date.now()): Promise<RoomClock> {
  await runInDurableObject(env.CHAT_ROOM.getByName(code), (room: ChatRoom) => {
    room.now = () => at;
  });
  return { advance: (ms) => void (at += ms) };
}

/** When room `code`'s alarm rings next (null: it is not set). */
export const alarmOf = (code: string) => runInDurableObject(env.CHAT_ROOM.getByName(code), (_room: ChatRoom, state) => state.storage.getAlarm());
