/** Time source; injected so tests can move time (grace periods, expiries, cool-downs) without sleeping. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

export const isoNow = (clock: Clock): string => clock().toISOString();
