// The door: a hand-held scanner types a ticket's code and Enter into the code field; the node
// admits the ticket once (`POST /v1/checkins`) and the page answers ADMITTED or REFUSED with the
// node's reason, in letters large enough to read at arm's length, and a sound.
import { Attempt, call } from './api.js';
import { byID, h } from './dom.js';
import { localTime, seatName } from './format.js';
import { setUpSignIn } from './signin.js';

const readyAfter = 15000; // milliseconds a verdict stays before the door shows Ready again

const checkIn = new Attempt('door');
const code = byID('code');
const tally = { admitted: 0, refused: 0 };
let timezone = null;
let readyTimer = null;
let audio = null;

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

async function scan(event) {
  event.preventDefault();
  const text = code.value.trim();
  if (!text) return;
  code.value = '';
  verdict('checking', 'Checking…', text);
  try {
    const admitted = await checkIn.send('POST', '/v1/checkins', { code: text });
    tally.admitted += 1;
    const place = admitted.seat ? seatName(admitted.seat) : admitted.category;
    verdict('admitted', 'Admitted', place, `${admitted.ticket_code} · ${admitted.event_id}`);
    sound('admitted');
    remember('admitted', 'Admitted', `${admitted.ticket_code} · ${place}`);
  } catch (error) {
    if (error.retryable) {
      // Not decided: the same code scanned again is the same attempt, so a check-in the node
      // made before its answer was lost is answered Admitted, not "already checked in".
      verdict('no-answer', 'No answer', error.message, `Scan ${text} again.`);
      sound('no-answer');
      remember('no-answer', 'No answer', text);
    } else {
      tally.refused += 1;
      verdict('refused', 'Refused', error.message, text);
      sound('refused');
      remember('refused', 'Refused', text);
    }
  } finally {
    code.focus();
  }
}

byID('scan-form').addEventListener('submit', scan);

// A scanner types wherever the focus is: keys typed outside a field go to the code field.
document.addEventListener('keydown', (event) => {
  if (byID('door').hidden || event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLButtonElement) return;
  code.focus();
});

setUpSignIn({
  async onSignedIn() {
    byID('door').hidden = false;
    ready();
    code.focus();
    try {
      timezone = (await call('GET', '/v1/status')).timezone;
    } catch {
      timezone = null;
    }
  },
  async onSignedOut() {
    byID('door').hidden = true;
  },
});

window.addEventListener('session-ended', () => {
  byID('door').hidden = true;
});
