// Money and times as people read them: amounts in the event's currency from the API's minor
// units, times in the venue's zone (the API gives UTC and the zone beside it).

// Digits after the decimal point, as the node counts them (Sources/TimeAndMoney/Money.swift).
export function minorDigits(currency) {
  if (['JPY', 'KRW', 'ISK', 'CLP', 'VND'].includes(currency)) return 0;
  if (['BHD', 'KWD', 'OMR', 'JOD', 'TND'].includes(currency)) return 3;
  return 2;
}

// `{minor: 17800, currency: 'EUR'}` as `€178.00` in the browser's language.
export function money(amount) {
  return moneyOf(amount.minor, amount.currency);
}

export function moneyOf(minor, currency) {
  const digits = minorDigits(currency);
  return new Intl.NumberFormat(undefined, {
    style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(minor / 10 ** digits);
}

// What a person typed (`200`, `200.5`, `200,50`, `€ 200`) in minor units; null when it is no
// amount.
export function parseMoney(text, currency) {
  const cleaned = text.replace(/[^\d.,-]/g, '');
  if (cleaned === '') return null;
  const digits = minorDigits(currency);
  const match = /^(\d+)(?:[.,](\d*))?$/.exec(cleaned);
  if (!match) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return null;
  return Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

// The abbreviations the node's messages give each zone's times (`timezone_abbreviations` of
// `/v1/status`): zone → offset from UTC in seconds → `NST`. The browser's own differ by language
// (`GMT-3:30` where the zone data says `NST`).
const zoneAbbreviations = new Map();

export function knowZoneAbbreviations(byZone) {
  for (const [zone, names] of Object.entries(byZone ?? {})) zoneAbbreviations.set(zone, names);
}

// Seconds east of UTC of `when` in `timeZone`, by the browser's zone rules; null if unknown.
function offsetSeconds(when, timeZone) {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(when)
    .find((part) => part.type === 'timeZoneName')?.value ?? '';
  const match = /^GMT(?:([+-])(\d{1,2}):?(\d{2})?)?$/.exec(name);
  if (!match) return null;
  const seconds = Number(match[2] ?? 0) * 3600 + Number(match[3] ?? 0) * 60;
  return match[1] === '-' ? -seconds : seconds;
}

// An instant in the venue's zone: `Tue, 31 Dec 2030, 21:00 CET`, the zone named as the node does.
export function localTime(iso, timeZone, { date = true } = {}) {
  const options = { timeZone, hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };
  if (date) Object.assign(options, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
  const when = new Date(iso);
  let formatter;
  try {
    formatter = new Intl.DateTimeFormat(undefined, options);
  } catch {
    return new Intl.DateTimeFormat(undefined, { ...options, timeZone: 'UTC' }).format(when);
  }
  const names = timeZone ? zoneAbbreviations.get(timeZone) : undefined;
  const abbreviation = names?.[String(offsetSeconds(when, timeZone))];
  if (!abbreviation) return formatter.format(when);
  return formatter.formatToParts(when).map((part) => (part.type === 'timeZoneName' ? abbreviation : part.value)).join('');
}

// Today's date in the venue's zone, as `YYYY-MM-DD`.
export function localDate(timeZone) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

// A seat of the seat map (`{section, row, number}`) or its label (`STALLS-A-12`, as the node
// writes them: SECTION-ROW-NUMBER) as people say it: `STALLS row A seat 12`.
export function seatName(seat) {
  if (typeof seat === 'string') {
    const parts = seat.split('-');
    if (parts.length < 3) return seat;
    const number = parts.pop();
    const row = parts.pop();
    return `${parts.join('-')} row ${row} seat ${number}`;
  }
  return `${seat.section} row ${seat.row} seat ${seat.number}`;
}
