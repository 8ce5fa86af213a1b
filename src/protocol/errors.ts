// Every error code the API and the WebSocket can answer with, and the one error
// body both carry: `{error, code, details?}` (REST bodies, `error` frames).

export type ErrorCode =
  // requests and frames
  | "INVALID_JSON"
  | "BODY_TOO_LARGE"
  | "VALIDATION_ERROR"
  | "INVALID_CHARACTERS"
  | "INVALID_FRAME"
  | "UNKNOWN_FRAME_TYPE"
  | "UPGRADE_REQUIRED"
  | "ORIGIN_NOT_ALLOWED"
  | "NOT_FOUND"
  | "HTTP_ERROR"
  | "INTERNAL_ERROR"
  | "DB_UNAVAILABLE"
  | "SERVICE_MISCONFIGURED"
  | "RATE_LIMITED"
  // accounts and identity
  | "INVALID_CREDENTIALS"
  | "WEAK_PASSWORD"
  | "INVALID_TOKEN"
  | "AUTH_REQUIRED"
  | "EMAIL_TAKEN"
  | "INVALID_USERNAME"
  | "NO_SUGGESTION"
  | "USERNAME_TAKEN"
  | "USERNAME_RESERVED"
  | "IDENTITY_REQUIRED"
  | "CLIENT_IP_REQUIRED"
  | "INVALID_CLIENT_IP"
  | "IP_USERNAME_LIMIT"
  | "ACCOUNT_DELETION_INCOMPLETE"
  // rooms and sessions
  | "ROOM_NOT_FOUND"
  | "ROOM_QUOTA_REACHED"
  | "ANON_JOIN_RATE"
  | "ACCESS_CODE_INVALID"
  | "SESSION_REQUIRED"
  | "SESSION_INVALID"
  | "SESSION_ENDED"
  | "HOST_ONLY"
  // messages
  | "MESSAGE_EMPTY"
  | "MESSAGE_TOO_LONG"
  | "MESSAGE_NOT_FOUND"
  | "REPLY_NOT_FOUND"
  | "NOT_ALLOWED"
  | "INVALID_EMOJI"
  | "REACTION_LIMIT"
  | "INVALID_CURSOR"
  | "INVALID_LAST_SEQ"
  | "RESUME_FAILED"
  // moderation
  | "BANNED"
  | "CANNOT_BAN_HOST"
  | "BAN_TARGET_REQUIRED"
  | "INVALID_IP_ADDRESS"
  | "BAN_NOT_FOUND"
  // payments and the back room
  | "INVALID_AMOUNT"
  | "IDEMPOTENCY_KEY_REQUIRED"
  | "INVALID_IDEMPOTENCY_KEY"
  | "IDEMPOTENCY_KEY_REUSED"
  | "BID_TOO_LOW"
  | "PAYMENT_DECLINED"
  | "PAYMENT_PROVIDER_ERROR"
  | "PAYMENTS_NOT_CONFIGURED"
  | "PAYMENT_NOT_FOUND"
  | "PAYMENT_ROOM_MISMATCH"
  | "WEBHOOK_INVALID"
  | "CANNOT_TIP_SELF"
  | "BACKROOM_DISABLED"
  | "BACKROOM_FULL"
  | "PURCHASE_PENDING"
  | "ALREADY_MEMBER"
  | "NOT_BACKROOM_MEMBER"
  | "SIGNATURE_MISSING"
  | "SIGNATURE_INVALID"
  | "WEBHOOK_NOT_CONFIGURED";

export interface ErrorBody {
  error: string;
  /** The same sentence as `error`, named as Django REST framework names it (the original web client reads it). */
  detail: string;
  code: ErrorCode;
  details?: Record<string, unknown>;
}
