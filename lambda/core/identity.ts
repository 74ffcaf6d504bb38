/**
 * Device identity (`docs/deploy.md`, "Device identity"): in `thing` mode a reading
 * counts only when its sender may report for its printer. Pure.
 */
import type { DeviceIdentityMode } from '../../contract/index.ts';

/** Why a reading's sender may not report for its printer, or undefined when it may. */
export function foreignSender(
  mode: DeviceIdentityMode,
  printerId: string,
  sender: string | undefined,
  gatewayPrinters: ReadonlySet<string> | undefined,
): string | undefined {
  if (mode === 'any') return undefined;
  if (sender === undefined) return 'the reading carries no sender identity (is the topic rule the identity-mode one?)';
  if (sender === printerId) return undefined;
  if (gatewayPrinters?.has(printerId)) return undefined;
  return `client ${sender} may not report for printer ${printerId} (it is neither that thing nor a gateway listing it)`;
}

/**
 * The printers a gateway thing lists in its `printers` attribute: ids
 * separated by commas (thing attribute values allow no spaces), blanks ignored.
 */
export function gatewayPrinters(attribute: string | undefined): ReadonlySet<string> {
  return new Set(
    (attribute ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id.length > 0),
  );
}

/** Whether the sender needs a look-up in the thing registry: only a sender reporting for another printer does. */
export function needsRegistry(mode: DeviceIdentityMode, printerId: string, sender: string | undefined): sender is string {
  return mode === 'thing' && sender !== undefined && sender !== printerId;
}
