/**
 * The IoT thing registry adapter: `iot:DescribeThing`, read for a sender that
 * reports for another printer (a gateway) in device identity mode `thing`.
 * Answers are cached per container for a short time, so a gateway costs one
 * look-up a minute, not one per reading; the client module is loaded on the
 * first look-up, which keeps it out of the cold start. The twin serves the
 * same API through an endpoint override.
 */
import type { IoTClient } from '@aws-sdk/client-iot';
import { GATEWAY_PRINTERS_ATTRIBUTE } from '../../contract/index.ts';
import { gatewayPrinters } from '../core/identity.ts';
import { ThingRegistryError } from '../errors.ts';
import type { ThingRegistry } from '../ports.ts';

/** How long a thing's answer is reused: a gateway's list changes rarely, and a change applies within this time. */
export const THING_CACHE_MS = 60_000;

export class IotThingRegistry implements ThingRegistry {
  private client: Promise<IoTClient> | undefined;
  private readonly cache = new Map<string, { printers: ReadonlySet<string>; until: number }>();

  constructor(
    private readonly endpoint: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  private getClient(): Promise<IoTClient> {
    this.client ??= import('@aws-sdk/client-iot').then(
      ({ IoTClient }) => new IoTClient({ cacheMiddleware: true, ...(this.endpoint ? { endpoint: this.endpoint } : {}) }),
      (error: unknown) => {
        this.client = undefined; // a later look-up tries again
        throw error;
      },
    );
    return this.client;
  }

  async gatewayPrinters(thingName: string): Promise<ReadonlySet<string>> {
    const cached = this.cache.get(thingName);
    if (cached && cached.until > this.now()) return cached.printers;
    const [client, { DescribeThingCommand, ResourceNotFoundException }] = await Promise.all([
      this.getClient(),
      import('@aws-sdk/client-iot'),
    ]);
    let printers: ReadonlySet<string>;
    try {
      const thing = await client.send(new DescribeThingCommand({ thingName }));
      printers = gatewayPrinters(thing.attributes?.[GATEWAY_PRINTERS_ATTRIBUTE]);
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) {
        throw new ThingRegistryError(`describing thing ${thingName} failed: ${(error as Error).message}`, { cause: error });
      }
      printers = new Set();
    }
    this.cache.set(thingName, { printers, until: this.now() + THING_CACHE_MS });
    return printers;
  }
}
