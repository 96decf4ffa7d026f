import { Transform } from 'class-transformer';

const toNumber = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value);

/** `"5000"` → 5000; anything that is not a number stays as it is for the validator to reject. */
export const EnvNumber = () => Transform(({ value }) => toNumber(value));

/** `"true"`/`"false"` (also 1/0, yes/no) → boolean. */
export const EnvBoolean = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return value;
  });

const splitList = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `"a, b,c"` → ['a','b','c']. */
export const EnvList = () => Transform(({ value }) => (typeof value === 'string' ? splitList(value) : value));

/** `"100,500, 1000"` → [100, 500, 1000]. */
export const EnvNumberList = () => Transform(({ value }) => (typeof value === 'string' ? splitList(value).map(Number) : value));
