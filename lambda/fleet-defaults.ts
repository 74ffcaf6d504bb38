/**
 * The fleet defaults (the `*` item), read at most once per `ttlMs` per
 * container: a change to `*` reaches every container within that time (`docs/detection.md`,
 * "Fleet defaults", says 60 s; the default is 30 s). When a printer has to be read
 * anyway, its defaults come in the same request. When what was read differs from
 * before, the state cache is dropped, since its states were computed with
 * the old defaults.
 */
import { ATTR, FLEET_DEFAULTS_ID } from '../contract/index.ts';
import type { ProfileItem, ProfileStore } from './ports.ts';

export class FleetDefaults {
  private item: ProfileItem | undefined;
  private fingerprint = '';
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<ProfileItem | undefined> | undefined;

  constructor(
    private readonly store: Pick<ProfileStore, 'read'>,
    private readonly now: () => Date,
    private readonly ttlMs: number,
    private readonly onChange: () => void,
  ) {}

  /** The defaults (undefined when there is no `*` item), read again once they are older than the ttl. */
  current(): Promise<ProfileItem | undefined> {
    if (!this.stale()) return Promise.resolve(this.item);
    this.reading ??= this.store.read(FLEET_DEFAULTS_ID).then(
      (item) => this.accept(item),
      (error: unknown) => {
        this.reading = undefined;
        throw error;
      },
    );
    return this.reading;
  }

  /** Whether the next use reads them again. */
  stale(): boolean {
    return this.now().getTime() - this.readAt >= this.ttlMs;
  }

  /** Takes defaults read along with something else (one request for a printer and its defaults). */
  accept(item: ProfileItem | undefined): ProfileItem | undefined {
    const fingerprint = JSON.stringify(item ?? null);
    if (fingerprint !== this.fingerprint && this.readAt !== Number.NEGATIVE_INFINITY) this.onChange();
    this.item = item;
    this.fingerprint = fingerprint;
    this.readAt = this.now().getTime();
    this.reading = undefined;
    return item;
  }

  /** Whether the defaults create a missing printer's profile on its first valid reading. */
  enrols(defaults: ProfileItem | undefined): boolean {
    return defaults?.[ATTR.enrol] === true;
  }
}
