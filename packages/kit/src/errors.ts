// One domain error type with a stable code; dialects (gateway) and RPC replies map the code.
import { ERROR_CODES, type DomainErrorDetails, type ErrorCode } from '@voltq/contracts';

export { ERROR_CODES, type DomainErrorDetails, type ErrorCode };

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: ErrorCode;
  readonly details?: DomainErrorDetails;

  constructor(code: ErrorCode, message: string, details?: DomainErrorDetails) {
    super(message);
    this.code = code;
    if (details !== undefined) this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: DomainErrorDetails } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

/**
 * A record the caller may see: with a `userId`, another user's record answers as if it did not exist (NOT_FOUND,
 * never FORBIDDEN, so one user cannot probe another's ids). Without one (an admin or internal call) any record.
 */
export function ownedOrNotFound<T extends { userId: string }>(record: T | null | undefined, userId: string | undefined, what: string): T {
  if (!record || (userId !== undefined && record.userId !== userId)) throw new DomainError('NOT_FOUND', `${what} not found`);
  return record;
}
