// The balance ledger's rules, pure: what a recharge may be, what an entry's cause is, and how an entry follows the
// one before it. A balance is the sum of a user's entries; each entry carries that sum up to itself
// (balanceAfterFen), so the newest entry is the balance and the chain is checked where it is extended.
import { RECHARGE_MAX_FEN, type LedgerEntry, type LedgerEntryKind } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';

/** `<kind>:<id>`: unique per user, so the same cause (a retried recharge, a redelivered bill) is entered once. */
export function causeOf(kind: LedgerEntryKind, id: string): string {
  return `${kind}:${id}`;
}

/** A recharge credits a whole, positive number of fen up to RECHARGE_MAX_FEN (the RPC schema says the same). */
export function checkRechargeAmount(amountFen: number): void {
  if (!Number.isInteger(amountFen) || amountFen < 1 || amountFen > RECHARGE_MAX_FEN) {
    throw new DomainError('VALIDATION', `a recharge is a whole number of fen from 1 to ${RECHARGE_MAX_FEN}, not ${amountFen}`);
  }
}

/**
 * A retry of a cause already entered: the same amount is the same request (answer its entry), another amount is a
 * different request reusing the key.
 */
export function checkSameRequest(existing: LedgerEntry, amountFen: number): LedgerEntry {
  if (existing.amountFen !== amountFen) {
    throw new DomainError('CONFLICT', `${existing.cause} was entered with ${existing.amountFen} fen, not ${amountFen}`);
  }
  return existing;
}

/** Where a user's chain of entries stands: the newest entry's position and balance (none: 0 and 0). */
export interface LedgerTail {
  seq: number;
  balanceAfterFen: number;
}

export interface EntryInput {
  entryId: string;
  userId: string;
  kind: LedgerEntryKind;
  amountFen: number;
  cause: string;
  createdAt: number;
}

/**
 * The entry that follows `tail` (seq + 1, balance + amount). A later `bill` debit is an entry of a negative
 * amount built here the same way; it is the caller's rule to keep it from taking the balance below zero.
 */
export function nextEntry(tail: LedgerTail | undefined, input: EntryInput): LedgerEntry & { seq: number } {
  if (input.amountFen === 0 || !Number.isSafeInteger(input.amountFen)) {
    throw new DomainError('VALIDATION', `a ledger entry moves a non-zero whole number of fen, not ${input.amountFen}`);
  }
  const balanceAfterFen = (tail?.balanceAfterFen ?? 0) + input.amountFen;
  if (!Number.isSafeInteger(balanceAfterFen)) throw new DomainError('VALIDATION', 'the balance would be too large to keep exactly');
  return { ...input, seq: (tail?.seq ?? 0) + 1, balanceAfterFen };
}
