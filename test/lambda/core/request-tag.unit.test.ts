import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestTag } from '../../../lambda/core/request-tag.ts';

describe('requestTag', () => {
  it('is 13 base-36 characters, the same for the same id (a Lambda retry keeps its request id)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (id) => {
        expect(requestTag(id)).toMatch(/^[0-9a-z]{13}$/);
        expect(requestTag(id)).toBe(requestTag(`${id}`));
      }),
    );
  });

  it('tells request ids apart (UUIDs, and ids one character apart)', () => {
    const ids = fc.sample(fc.uuid(), 20_000);
    expect(new Set(ids.map(requestTag)).size).toBe(new Set(ids).size);
    expect(requestTag('req-a')).not.toBe(requestTag('req-b'));
    expect(requestTag('')).not.toBe(requestTag('\u0000'));
  });
});
