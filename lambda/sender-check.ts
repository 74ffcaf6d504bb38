/**
 * The device identity check: who may report for a printer (`docs/design.md`,
 * "Layout and dependencies"; the rule itself is `core/identity.ts`). In
 * `thing` mode a gateway's printers come from the thing registry.
 */
import type { DeviceIdentityMode } from '../contract/index.ts';
import { foreignSender, needsRegistry } from './core/identity.ts';
import { ConfigurationError } from './errors.ts';
import type { ThingRegistry } from './ports.ts';

export interface IdentityOptions {
  readonly mode: DeviceIdentityMode;
  readonly registry?: ThingRegistry;
}

export class SenderCheck {
  constructor(private readonly identity: IdentityOptions) {
    if (identity.mode === 'thing' && identity.registry === undefined) {
      throw new ConfigurationError('device identity mode "thing" needs a thing registry');
    }
  }

  /** Why `sender` may not report for `printerId`, or undefined when it may. Throws when the registry failed. */
  async refusal(printerId: string, sender: string | undefined): Promise<string | undefined> {
    const { mode, registry } = this.identity;
    const gateway = needsRegistry(mode, printerId, sender) ? await registry!.gatewayPrinters(sender) : undefined;
    return foreignSender(mode, printerId, sender, gateway);
  }
}
