// What a room and its relays ask of each other over RPC, as interfaces the
// classes implement and the stubs are typed by: a change to either side is a
// type error on the other. (The Worker's routes reach the room through the
// namespace's own typed stub, platform/room-stub.ts.)
import type { Channel } from "../protocol";
import type { SessionClaims } from "../domain/tokens";
import type { SendInput } from "../features/messages/schemas";
import type { RoomResult } from "../platform/rpc-result";
import { relayStub, roomStub } from "../platform/room-stub";
import type { BacklogAnswer, RelayBatch, RelayReport, RelaySendOutcome } from "./relay-protocol";

/** What a relay asks of its room; every call names the relay, and the room refuses a name not its own. */
export interface RoomRpc {
  relaySubmit(relay: string, claims: SessionClaims, input: SendInput, socket: string): Promise<RelaySendOutcome>;
  relayBacklog(relay: string, claims: SessionClaims | null, channel: Channel, afterSeq: number, untilSeq?: number | null): Promise<RoomResult<BacklogAnswer>>;
  relayAbuse(relay: string, participationId: string): Promise<void>;
  relayReport(relay: string, report: RelayReport): Promise<void>;
}

/** What a room asks of its relays; every call names the room, and a relay refuses any room but its own. */
export interface RelayRpc {
  deliver(batch: RelayBatch): Promise<RoomResult<{ delivered: number }>>;
  kick(room: string, participationIds: string[]): Promise<number>;
  endLogin(room: string, authSessionId: string): Promise<number>;
}

export const roomRpc = (env: Env, code: string): RoomRpc => roomStub(env, code);
export const relayRpc = (env: Env, name: string): RelayRpc => relayStub(env, name);
