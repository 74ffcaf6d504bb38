import { describe, expect, it } from 'vitest';
import { foreignSender, gatewayPrinters, needsRegistry } from '../../../lambda/core/identity.ts';

describe('device identity', () => {
  it('in mode any, anyone may report for any printer', () => {
    expect(foreignSender('any', 'Printer1', undefined, undefined)).toBeUndefined();
    expect(foreignSender('any', 'Printer1', 'Printer2', undefined)).toBeUndefined();
    expect(needsRegistry('any', 'Printer1', 'Printer2')).toBe(false);
  });

  it('in mode thing, a thing reports for itself without a registry look-up', () => {
    expect(needsRegistry('thing', 'Printer1', 'Printer1')).toBe(false);
    expect(foreignSender('thing', 'Printer1', 'Printer1', undefined)).toBeUndefined();
  });

  it('in mode thing, another printer needs the sender to be a gateway listing it', () => {
    expect(needsRegistry('thing', 'Printer2', 'Printer1')).toBe(true);
    expect(foreignSender('thing', 'Printer2', 'Printer1', new Set())).toBe(
      'client Printer1 may not report for printer Printer2 (it is neither that thing nor a gateway listing it)',
    );
    expect(foreignSender('thing', 'Printer2', 'Gateway', new Set(['Printer2', 'Printer3']))).toBeUndefined();
    expect(foreignSender('thing', 'Printer4', 'Gateway', new Set(['Printer2', 'Printer3']))).toMatch(/may not report/);
  });

  it('in mode thing, a reading without a sender is refused with the reason', () => {
    expect(foreignSender('thing', 'Printer1', undefined, undefined)).toMatch(/no sender identity/);
  });

  it("reads a gateway's printers attribute: comma-separated, blanks ignored, exact ids", () => {
    expect([...gatewayPrinters('Printer2,Printer3,,')]).toEqual(['Printer2', 'Printer3']);
    expect([...gatewayPrinters(undefined)]).toEqual([]);
    expect(gatewayPrinters('printer2').has('Printer2')).toBe(false);
  });
});
