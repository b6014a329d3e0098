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

// An instant in the venue's zone: `Tue, 31 Dec 2030, 21:00 CET`.
export function localTime(iso, timeZone, { date = true } = {}) {
  const options = { timeZone, hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };
  if (date) Object.assign(options, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
  try {
    return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat(undefined, { ...options, timeZone: 'UTC' }).format(new Date(iso));
  }
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
