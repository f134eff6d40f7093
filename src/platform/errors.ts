/**
 * The one catalogue of errors Riff answers with. Every error on the wire is
 * `{"error": {"code", "message", "details": []}}` with the status given here.
 */
export const catalogue = {
  invalid_json: { status: 400, message: 'The request body is not valid JSON' },
  validation_failed: { status: 400, message: 'The request is invalid' },
  invalid_frame: { status: 400, message: 'That frame is not one Riff understands' },
  invalid_text: { status: 400, message: 'Text must not contain NUL characters or unpaired surrogates' },
  webhook_target_refused: { status: 400, message: 'webhook_url must be a public http(s) address: not loopback, private, link-local or metadata' },
  unauthorized: { status: 401, message: 'Sign in to do this' },
  invalid_credentials: { status: 401, message: 'Wrong login or password' },
  session_expired: { status: 401, message: 'Your session has expired; sign in again' },
  forbidden: { status: 403, message: 'You are not allowed to do this' },
  account_banned: { status: 403, message: 'This account is banned' },
  guest_forbidden: { status: 403, message: 'Guests cannot do this; create an account first' },
  channel_protected: { status: 403, message: 'This channel cannot be changed this way' },
  blocked: { status: 403, message: 'You cannot message this person' },
  not_found: { status: 404, message: 'Not found' },
  route_not_found: { status: 404, message: 'No such route' },
  method_not_allowed: { status: 405, message: 'This method is not allowed here' },
  upgrade_required: { status: 426, message: 'Connect with a WebSocket (Upgrade: websocket)' },
  username_taken: { status: 409, message: 'That username is taken' },
  email_taken: { status: 409, message: 'That email is already registered' },
  nonce_reused: { status: 409, message: 'This nonce was already used for another message' },
  channel_full: { status: 409, message: 'This private channel has as many members as it can hold' },
  album_exists: { status: 409, message: 'This album is already in Riff' },
  review_exists: { status: 409, message: 'You have already reviewed this album; edit your review instead' },
  payload_too_large: { status: 413, message: 'The request body is larger than 1 MiB' },
  uri_too_long: { status: 414, message: 'A segment of the URL path is longer than 100 characters' },
  unsupported_media_type: { status: 415, message: 'The request body must be JSON' },
  event_cancelled: { status: 422, message: 'This meetup was cancelled' },
  organizer_always_going: { status: 422, message: 'The organizer is always going; to leave, cancel the meetup' },
  poll_closed: { status: 422, message: 'This poll is closed' },
  partner_left: { status: 422, message: 'Your partner left this conversation: it is read-only now' },
  channel_closed: { status: 422, message: 'This room is closed: its history stays readable, but it takes no new posts' },
  rate_limited: { status: 429, message: 'Too many requests; try again later' },
  service_unavailable: { status: 503, message: 'Riff is not ready to serve' },
  internal_error: { status: 500, message: 'Something went wrong on our side' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof catalogue;

export type ErrorDetail = Record<string, unknown>;

export class RiffError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details: ErrorDetail[] = [],
    /** Extra response headers, e.g. Retry-After or Allow. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? catalogue[code].message);
    this.status = catalogue[code].status;
  }
}

export const envelope = (code: ErrorCode, message: string, details: ErrorDetail[] = []) => ({
  error: { code, message, details },
});
