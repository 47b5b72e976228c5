/**
 * Typed errors with stable codes (in the manner of undici's lib/core/errors.js).
 * Every error a user or CI script can see carries a `code` that never changes
 * between versions, and a message that says what went wrong and where.
 */

export type ProtocolErrorCode =
  | 'ERR_TRUNCATED'          // a message ends before its fields do
  | 'ERR_UNKNOWN_TAG'        // a message or page-stream tag we do not know
  | 'ERR_BAD_LENGTH'         // a length field out of range (< 4, > limit, or inconsistent)
  | 'ERR_MISSING_NUL'        // a C string without its terminating NUL
  | 'ERR_BAD_ID'             // a tenant/timeline id that is not 32 hex chars
  | 'ERR_BAD_LSN'            // LSN text that is not X/Y hex
  | 'ERR_BAD_RELTAG'         // RelTag text that is not spc/db/rel[.fork]
  | 'ERR_BAD_MESSAGE'        // a well-framed message with inconsistent content
  | 'ERR_UNEXPECTED_MESSAGE';// a message not allowed in the current protocol state

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  /** Byte offset (within the message or stream) where the problem was found, when known. */
  readonly offset: number | undefined;
  constructor(code: ProtocolErrorCode, message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = 'ProtocolError';
    this.code = code;
    this.offset = offset;
  }
}

/** Errors in what the user asked for (options, files): exit code 2, one line, no stack. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The target could not be reached or is not a pageserver: exit code 2. */
export class TargetError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TargetError';
    this.code = code;
  }
}
