// Pure rules, no I/O: the frames a client sends and the content of a send.
import { describe, expect, it } from "vitest";
import { parseClientFrame } from "../../src/room/client-frames";
import { checkContent } from "../../src/features/messages/schemas";
import { ApiError } from "../../src/platform/errors";

/** "ok", or the code of the ApiError the rule throws. */
function outcome(rule: () => unknown): string {
  try {
    rule();
    return "ok";
  } catch (e) {
    return (e as ApiError).code;
  }
}

describe("client frames", () => {
  const code = (text: string) => outcome(() => parseClientFrame(text));

  it("accept a send with or without type, and a ping", () => {
    expect(parseClientFrame('{"message":"hi"}')).toEqual({ kind: "send", input: { message: "hi" } });
    expect(parseClientFrame('{"type":"message","message":"hi","client_id":"c1","extra":1}')).toEqual({
      kind: "send",
      input: { message: "hi", client_id: "c1" },
    });
    expect(parseClientFrame('{"type":"ping"}')).toEqual({ kind: "ping" });
  });

  it.each([
    ["{", "INVALID_JSON"],
    ["[]", "INVALID_JSON"],
    ["1", "INVALID_JSON"],
    ['{"type":"x"}', "UNKNOWN_FRAME_TYPE"],
    // Content rules are the room's admission step (checkContent, below), not the frame's shape.
    ['{"message":""}', "ok"],
    ['{"message":"hi","reply_to_id":"x"}', "VALIDATION_ERROR"],
  ])("%s → %s", (text, expected) => {
    expect(code(text)).toBe(expected);
  });
});

describe("message content", () => {
  const contentCode = (message: string) => outcome(() => checkContent(message));

  it.each([
    ["", "MESSAGE_EMPTY"],
    [" \n\t ", "MESSAGE_EMPTY"],
    ["a".repeat(4001), "MESSAGE_TOO_LONG"],
    ["a".repeat(4000), "ok"],
    ["😀".repeat(4000), "ok"],
    ["😀".repeat(4001), "MESSAGE_TOO_LONG"],
  ])("%j → %s", (message, expected) => {
    expect(contentCode(message)).toBe(expected);
  });
});
