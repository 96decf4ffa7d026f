const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

export const fmtInt = (n: number | null | undefined): string => (n == null ? '—' : integer.format(n));

export const fmtRate = (n: number | null | undefined): string => (n == null ? '—' : `${decimal.format(n)}/s`);

export function fmtPercent(fraction: number | null | undefined): string {
  if (fraction == null) return 'no limit';
  // A stream using a few KiB of a GiB limit is not at 0 %; say it is below what one decimal can show.
  if (fraction > 0 && fraction < 0.001) return `< ${percent.format(0.001)}`;
  return percent.format(fraction);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
export function fmtBytes(n: number | null | undefined): string {
  if (n == null) return '—';
  if (n < 0) return 'no limit';
  let v = n;
  let unit = 0;
  while (v >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${unit === 0 ? integer.format(v) : decimal.format(v)} ${UNITS[unit]}`;
}

/** Times always in the viewer's own zone and locale. */
export function fmtTime(iso: string | number | null | undefined): string {
  if (iso == null || iso === '') return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function fmtClock(iso: string | number): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString();
}

export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds == null) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

export function fmtMicros(us: number): string {
  if (us < 1000) return `${integer.format(us)} µs`;
  if (us < 1_000_000) return `${decimal.format(us / 1000)} ms`;
  return `${decimal.format(us / 1_000_000)} s`;
}

export function fmtMillis(ms: number | null | undefined): string {
  return ms == null ? '—' : fmtMicros(ms * 1000);
}
