/** `14:30:05` today, `7 Dec 14:30` another day (`7 Dec 2025 14:30` another year); `ms`, `now` epoch ms. */
export function clockText(ms: number, now: number, timeZone?: string, options?: { seconds?: boolean }): string;
/** `3 min ago`, `just now`, `in 2 min`. */
export function ageText(ms: number, now: number): string;
/** `14:30:05, 3 min ago`. */
export function whenText(ms: number, now: number, timeZone?: string): string;
