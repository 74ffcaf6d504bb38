/** The device identity check as the processor runs it: the rule of `core/identity.ts` plus the registry for gateways. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../lambda/errors.ts';
import { SenderCheck } from '../../lambda/sender-check.ts';

const id = fc.stringMatching(/^[A-Za-z0-9]{1,8}$/);

describe('SenderCheck', () => {
  it('refuses to be built for `thing` mode without a thing registry', () => {
    expect(() => new SenderCheck({ mode: 'thing' })).toThrow(ConfigurationError);
  });

  it('in `thing` mode, lets a printer and the gateways listing it report, asks the registry only for other senders', async () => {
    await fc.assert(
      fc.asyncProperty(
        id,
        fc.option(id, { nil: undefined }),
        fc.uniqueArray(id, { maxLength: 4 }),
        fc.boolean(),
        async (printerId, other, others, lists) => {
          // The printer itself reports half the time; a gateway lists the printer half the time.
          const sender = other ?? printerId;
          const listed = lists ? [...others, printerId] : others.filter((p) => p !== printerId);
          const asked: string[] = [];
          const check = new SenderCheck({
            mode: 'thing',
            registry: {
              gatewayPrinters: async (thing) => {
                asked.push(thing);
                return new Set(listed);
              },
            },
          });
          const refusal = await check.refusal(printerId, sender);
          expect(refusal === undefined).toBe(sender === printerId || lists);
          expect(asked).toEqual(sender === printerId ? [] : [sender]);
        },
      ),
    );
  });

  it('in `any` mode, refuses nobody and never asks the registry', async () => {
    const check = new SenderCheck({ mode: 'any', registry: { gatewayPrinters: () => Promise.reject(new Error('asked')) } });
    await fc.assert(
      fc.asyncProperty(id, fc.option(id, { nil: undefined }), async (printerId, sender) => {
        expect(await check.refusal(printerId, sender)).toBeUndefined();
      }),
    );
  });
});
