// The wire protocol of ChatPop Edge: frames, close codes, error codes and the
// public message shape. It imports nothing, so the server and every client
// (the typed client, the web app) share it.
export * from "./close-codes";
export * from "./errors";
export * from "./frames";
export * from "./message";
export * from "./subprotocol";
export * from "./pricing";
export * from "./headers";
