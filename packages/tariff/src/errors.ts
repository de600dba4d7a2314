export type TariffErrorCode = 'TARIFF_GAP' | 'TARIFF_OVERLAP' | 'TARIFF_BAD_ZONE' | 'TARIFF_BAD_VALUE';

/** Refusal of a tariff or of a session's figures; `code` is stable, `message` says what to fix. */
export class TariffError extends Error {
  readonly code: TariffErrorCode;

  constructor(code: TariffErrorCode, message: string) {
    super(message);
    this.name = 'TariffError';
    this.code = code;
  }
}
