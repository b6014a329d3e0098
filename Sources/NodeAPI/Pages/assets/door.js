// The door: a hand-held scanner types a ticket's code and Enter into the code field; the node
// admits the ticket once (`POST /v1/checkins`, with this door's gate and event) and the page
// answers ADMITTED or REFUSED with the node's reason, in letters large enough to read at arm's
// length, and a sound. A scan the node did not answer keeps its request and key until the node
// answers it, whatever is scanned in between; only the latest scan's answer takes the screen.
import { APIError, call, newKey } from './api.js';
import { byID, h, say } from './dom.js';
import { knowZoneAbbreviations, localTime, seatName } from './format.js';
import { setUpSignIn } from './signin.js';

const readyAfter = 15000; // milliseconds a verdict stays before the door shows Ready again
const setupName = 'venue-node.door'; // this browser's door: `{gate, event}`, not a secret

const code = byID('code');
const undecided = new Map(); // code → `{key, body}` of its check-in the node did not answer
const checking = new Map(); // code → its check-in in flight
let latestScan = 0; // the number of the last scan made: only its answer takes the screen
const tally = { admitted: 0, refused: 0 };
let timezone = null;
let readyTimer = null;
let audio = null;
let events = []; // the node's events, as `GET /v1/events` last gave them

// The gate's name and the event this door admits to (null: any event whose doors are open now),
// as kept in this browser.
function doorSetup() {
  try {
    const value = JSON.parse(localStorage.getItem(setupName) ?? 'null');
    return {
      gate: typeof value?.gate === 'string' && value.gate.trim() ? value.gate.trim() : null,
      event: typeof value?.event === 'string' && value.event ? value.event : null,
    };
  } catch {
    return { gate: null, event: null };
  }
}

function eventLabel(event) {
  const status = event.status === 'cancelled' ? ' · cancelled' : '';
  return `${event.name} · ${localTime(event.starts_at, event.timezone)}${status}`;
}

// The door's line above the code field: `Gate North · GALA-2026-12-31`.
function showSetup() {
  const setup = doorSetup();
  const gate = setup.gate ? `Gate ${setup.gate}` : 'No gate named';
  byID('door-where').textContent = `${gate} · ${setup.event ?? 'Doors open now (any event)'}`;
  const event = events.find((candidate) => candidate.id === setup.event);
  byID('door-where-event').textContent = event ? eventLabel(event)
    : setup.event && events.length > 0 ? 'not an event of this node' : '';
  byID('door-setup-change').textContent = setup.gate || setup.event ? 'Change gate or event' : 'Set up this door';
}

// The event choices: any event, then each of the node's (and the one kept, if the node lacks it).
function fillEventChoices(selected) {
  const choices = [h('option', { value: '', text: 'Doors open now (any event)' })];
  for (const event of events) {
    choices.push(h('option', { value: event.id, text: eventLabel(event) }));
  }
  if (selected && !events.some((event) => event.id === selected)) {
    choices.push(h('option', { value: selected, text: `${selected} (not an event of this node)` }));
  }
  const select = byID('door-event');
  select.replaceChildren(...choices);
  select.value = selected ?? '';
}

async function loadEvents() {
  try {
    events = await call('GET', '/v1/events');
    say('door-setup-error', '');
  } catch (error) {
    if (error instanceof APIError) say('door-setup-error', `The events could not be loaded: ${error.message}`);
  }
  showSetup();
}

function openSetup() {
  const setup = doorSetup();
  byID('door-gate').value = setup.gate ?? '';
  fillEventChoices(setup.event);
  byID('door-setup-form').hidden = false;
  byID('door-setup-change').setAttribute('aria-expanded', 'true');
  byID('door-gate').focus();
  loadEvents().then(() => {
    if (!byID('door-setup-form').hidden) fillEventChoices(byID('door-event').value || null);
  });
}

function closeSetup() {
  byID('door-setup-form').hidden = true;
  byID('door-setup-change').setAttribute('aria-expanded', 'false');
  code.focus();
}

function saveSetup(event) {
  event.preventDefault();
  const gate = byID('door-gate').value.trim();
  const chosen = byID('door-event').value;
  try {
    localStorage.setItem(setupName, JSON.stringify({ gate: gate || null, event: chosen || null }));
  } catch {
    say('door-setup-error', 'This browser does not keep settings (private window?): the door is not set up.');
    return;
  }
  showSetup();
  closeSetup();
}

function verdict(kind, word, why, detail = '') {
  const panel = byID('verdict');
  panel.className = 'verdict verdict-' + kind;
  byID('verdict-word').textContent = word;
  byID('verdict-why').textContent = why;
  byID('verdict-detail').textContent = detail;
  clearTimeout(readyTimer);
  readyTimer = kind === 'ready' || kind === 'checking' ? null : setTimeout(ready, readyAfter);
}

function ready() {
  verdict('ready', 'Ready', 'Scan a ticket or type its code and press Enter.');
}

// A short high tone for admitted, two low buzzes for refused, three mid beeps for no answer.
function sound(kind) {
  try {
    audio ??= new AudioContext();
    const tones = { admitted: [[880, 0, 0.18]], refused: [[200, 0, 0.22], [200, 0.3, 0.22]],
      'no-answer': [[520, 0, 0.1], [520, 0.16, 0.1], [520, 0.32, 0.1]] }[kind] ?? [];
    for (const [frequency, start, length] of tones) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = kind === 'refused' ? 'square' : 'sine';
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.2;
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(audio.currentTime + start);
      oscillator.stop(audio.currentTime + start + length);
    }
  } catch {
    // No sound device: the screen says it all.
  }
}

function remember(kind, text, detail) {
  const list = byID('history');
  const time = timezone ? localTime(new Date().toISOString(), timezone, { date: false }) : '';
  list.prepend(h('li', { class: 'history-' + kind }, h('strong', { text }), ` ${detail} `, h('span', { class: 'muted', text: time })));
  while (list.children.length > 5) list.lastElementChild.remove();
  byID('tally').textContent = `Admitted ${tally.admitted} · Refused ${tally.refused}`;
}

// Where the ticket's holder goes: its seat and category when the node knows them (its own sale,
// or a ticket central vouched for); another node's signed ticket carries neither, so its holder
// goes where the ticket says.
function placeOf(admitted) {
  const known = [admitted.seat ? seatName(admitted.seat) : null, admitted.category].filter(Boolean);
  if (known.length > 0) return known.join(' · ');
  return admitted.sold_by ? `Seat as on the ticket (sold at ${admitted.sold_by})` : 'Seat as on the ticket';
}

// Shows scan `number`'s verdict, with its sound, when it is the latest scan; an earlier scan's
// late answer goes to the list only.
function answer(number, kind, word, why, detail) {
  if (number !== latestScan) return;
  verdict(kind, word, why, detail);
  sound(kind);
}

async function scan(event) {
  event.preventDefault();
  const text = code.value.trim();
  code.value = '';
  code.focus();
  if (!text) {
    verdict('ready', 'Ready', 'No code: scan a ticket or type its code and press Enter.');
    return;
  }
  const number = ++latestScan;
  verdict('checking', 'Checking…', text);
  // The same code scanned while its check-in is in flight waits for it: the node then answers
  // this scan too ("already checked in" once the first admitted it).
  while (checking.has(text)) await checking.get(text).catch(() => {});
  let attempt = undecided.get(text);
  if (!attempt) {
    const setup = doorSetup();
    const body = { code: text };
    if (setup.gate) body.gate = setup.gate;
    if (setup.event) body.event = setup.event;
    attempt = { key: newKey('door'), body };
    undecided.set(text, attempt);
  }
  const sent = call('POST', '/v1/checkins', { body: attempt.body, key: attempt.key });
  checking.set(text, sent);
  try {
    const admitted = await sent;
    undecided.delete(text);
    tally.admitted += 1;
    const place = placeOf(admitted);
    const gate = admitted.gate ? ` · Gate ${admitted.gate}` : '';
    const seller = admitted.sold_by && admitted.sold_by !== admitted.node_id ? ` · sold at ${admitted.sold_by}` : '';
    answer(number, 'admitted', 'Admitted', place, `${admitted.ticket_code} · ${admitted.event_id}${gate}${seller}`);
    remember('admitted', 'Admitted', `${admitted.ticket_code} · ${place}`);
  } catch (error) {
    if (!(error instanceof APIError) || error.undecided) {
      // Not decided: the code scanned again is the same attempt (its key and request), so a
      // check-in the node made before its answer was lost is answered Admitted, not "already
      // checked in", whatever was scanned in between.
      answer(number, 'no-answer', 'No answer', error.message, `Scan ${text} again.`);
      remember('no-answer', 'No answer', text);
    } else {
      undecided.delete(text);
      tally.refused += 1;
      answer(number, 'refused', 'Refused', error.message, text);
      remember('refused', 'Refused', text);
    }
  } finally {
    if (checking.get(text) === sent) checking.delete(text);
    if (byID('door-setup-form').hidden) code.focus();
  }
}

byID('scan-form').addEventListener('submit', scan);
// A tap on Check leaves the focus in the code field, where the scanner types.
byID('scan-form').querySelector('button[type=submit]').addEventListener('mousedown', (event) => event.preventDefault());
byID('door-setup-change').addEventListener('click', () => {
  if (byID('door-setup-form').hidden) openSetup();
  else closeSetup();
});
byID('door-setup-form').addEventListener('submit', saveSetup);
byID('door-setup-cancel').addEventListener('click', closeSetup);
byID('door-setup-form').addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeSetup();
});
// Another tab of this browser changed the door's setup.
window.addEventListener('storage', (event) => {
  if (event.key === setupName) showSetup();
});

// A scanner types wherever the focus is: keys typed outside a field (on the page, on a button)
// go to the code field; Space still presses a button, and the setup form keeps its keys.
document.addEventListener('keydown', (event) => {
  if (byID('door').hidden || event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement
    || byID('door-setup-form').contains(target) || (target instanceof HTMLButtonElement && event.key === ' ')) {
    return;
  }
  code.focus();
});

setUpSignIn({
  async onSignedIn() {
    byID('door').hidden = false;
    showSetup();
    ready();
    code.focus();
    try {
      const status = await call('GET', '/v1/status');
      knowZoneAbbreviations(status.timezone_abbreviations);
      timezone = status.timezone;
    } catch {
      timezone = null;
    }
    await loadEvents();
  },
  async onSignedOut() {
    byID('door').hidden = true;
  },
});

window.addEventListener('session-ended', () => {
  byID('door').hidden = true;
});
