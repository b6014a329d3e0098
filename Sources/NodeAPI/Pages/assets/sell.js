// Selling at the till: pick an event, choose seats on the map (or the best available by quantity,
// held while the customer agrees), take cash or card, hand over the receipt. The map refreshes
// while it is on screen; every write is one attempt under one idempotency key. A sale the node
// did not answer stays pinned, its exact request under its key, until the node answers it.
import { APIError, call, newKey, session } from './api.js';
import { byID, h, say } from './dom.js';
import { localTime, money, moneyOf, parseMoney, seatName } from './format.js';
import { knowCategories, printOnly, showReceipt } from './receipt.js';
import { SeatMap } from './seatmap.js';

const refreshEvery = 4000; // milliseconds between refreshes of the map while it is on screen
const pendingName = 'venue-node.unanswered-sale'; // the pinned sale, kept in this tab across a reload
const pendingHoldName = 'venue-node.unanswered-hold'; // a hold the node did not answer, likewise

// What this tab sent and the node has not answered, as kept in sessionStorage; or null.
function kept(name) {
  try {
    const value = JSON.parse(sessionStorage.getItem(name) ?? 'null');
    return value && typeof value.key === 'string' ? value : null;
  } catch {
    return null;
  }
}

function keep(name, value) {
  try {
    if (value) sessionStorage.setItem(name, JSON.stringify(value));
    else sessionStorage.removeItem(name);
  } catch {
    // Storage full or refused: kept in this page only.
  }
}

function keptSale() {
  const value = kept(pendingName);
  return value && typeof value.path === 'string' && value.sale ? value : null;
}

export class Selling {
  constructor(connection) {
    this.connection = connection;
    this.events = [];
    this.event = null;
    this.availability = null;
    this.seats = [];
    this.sale = emptySale();
    this.timer = null;
    this.refreshing = null;
    this.releasing = Promise.resolve(); // the last hold given back: a sale waits for it
    this.visible = false;
    // The sale sent and not yet answered: `{path, body, key, staff, event, sale, form, summary,
    // sentAt, sent}`, kept in this tab (``pin``). Pay sends exactly it again, whatever the form
    // says now; nothing else is sold before.
    this.pending = null;
    this.paying = false; // a sale's request is in flight
    // A best-seats hold sent and not answered: `{key, body, hold_id?, releaseKey?}` (``keepHold``).
    // It is asked again under its key and given back before another hold is placed.
    this.pendingHold = kept(pendingHoldName);
    this.choosing = Promise.resolve(); // the last choice by quantity: the next waits for it
    this.settling = Promise.resolve();
    this.map = new SeatMap(byID('map'), (seat) => this.toggle(seat), {
      tools: byID('map-tools'), sections: byID('map-sections'), zoomIn: byID('map-zoom-in'), zoomOut: byID('map-zoom-out'),
    });
    this.categoryRows = new Map();

    byID('change-event').addEventListener('click', () => this.changeEvent());
    byID('pay-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.pay();
    });
    byID('clear-sale').addEventListener('click', () => this.clear());
    byID('new-sale').addEventListener('click', () => this.newSale());
    byID('print-receipt').addEventListener('click', () => printOnly(byID('receipt')));
    for (const input of document.querySelectorAll('input[name=method]')) {
      input.addEventListener('change', () => this.drawPayment());
    }
    byID('tendered').addEventListener('input', () => this.drawPayment());
    document.addEventListener('visibilitychange', () => this.schedule(true));
    window.addEventListener('pagehide', () => this.releaseHold({ keepalive: true }));
    // Leaving the page with a sale unanswered: the browser asks first (the sale is kept all the same).
    window.addEventListener('beforeunload', (event) => {
      if (!this.pending) return;
      event.preventDefault();
      event.returnValue = '';
    });
  }

  // The sell view is on screen (or not): refresh now, then every few seconds until hidden.
  setVisible(visible) {
    this.visible = visible;
    this.schedule(true);
  }

  async start() {
    this.setAsideOthersSale();
    if (this.event) return this.schedule(true);
    await this.loadEvents();
    await this.resume();
    this.settleHold();
  }

  // A sale another cashier left unanswered in this tab (signed out, or the session ended) is
  // never sent again under the name signed in now: it would be this cashier's sale, in this
  // drawer, with money the other took. It is set aside and the cashier told.
  setAsideOthersSale() {
    const staff = session()?.staff;
    const other = [this.pending, keptSale()].find((sale) => sale && sale.staff !== staff);
    const note = byID('events-note');
    note.hidden = !other;
    if (!other) return;
    const who = other.staff ?? 'Another cashier';
    note.textContent = `${who}'s last sale had no answer from the node when ${who} left this till `
      + `(${other.summary}). It was not sent again under your name: if the node made it, it is ${who}'s sale, `
      + `counted in ${who}'s drawer (Orders finds it by the customer or a ticket).`;
    this.pin(null);
    this.sale = emptySale();
    for (const id of ['tendered', 'card-reference', 'customer-email']) byID(id).value = '';
    document.querySelector('input[name=method][value=cash]').checked = true;
    say('sale-error', '');
    this.event = null;
    clearTimeout(this.timer);
    this.timer = null;
    byID('selling').hidden = true;
    byID('event-picker').hidden = false;
  }

  // Signing out keeps an unanswered sale in the tab, for its cashier's next sign-in.
  async stop() {
    await this.releaseHold();
    await this.settleHold();
    this.pending = null;
    this.sale = emptySale();
    this.event = null;
    clearTimeout(this.timer);
    this.timer = null;
    byID('selling').hidden = true;
    byID('event-picker').hidden = false;
  }

  async loadEvents() {
    say('events-error', '');
    try {
      this.events = await call('GET', '/v1/events');
      this.connection.answered();
    } catch (error) {
      this.connection.failed(error);
      say('events-error', error.message);
      return;
    }
    const list = byID('events');
    list.replaceChildren(...this.events.map((event) => {
      const left = event.quota - event.sold - event.held;
      return h('li', {}, h('button', {
        type: 'button', class: 'event', 'data-event': event.id, onclick: () => this.pick(event),
      },
      h('strong', { text: event.name }),
      h('span', { text: localTime(event.starts_at, event.timezone) }),
      h('span', { class: 'muted', text: `${event.venue} · ${event.status.replace('_', ' ')} · ${left} left here` })));
    }));
    if (this.events.length === 0) say('events-error', 'This node has no events: import the reference data first.');
    list.querySelector('button')?.focus();
  }

  async pick(event) {
    this.event = event;
    this.availability = null;
    this.seats = [];
    this.sale = emptySale();
    this.categoryRows.clear();
    byID('categories').replaceChildren();
    byID('event-title').textContent = event.name;
    byID('event-when').textContent = `${localTime(event.starts_at, event.timezone)} · ${event.venue}`;
    byID('event-picker').hidden = true;
    byID('selling').hidden = false;
    this.showSalePanel();
    await this.refresh();
    const first = [...this.categoryRows.values()].find((row) => row.kind === 'seated') ?? this.categoryRows.values().next().value;
    first?.quantity.focus();
  }

  async changeEvent() {
    if (this.waitingForAnswer()) return;
    const previous = this.event?.id;
    await this.stop();
    await this.loadEvents();
    byID('events').querySelector(`[data-event="${CSS.escape(previous ?? '')}"]`)?.focus();
  }

  // Refreshes now (when `now`) or later, while the map is on screen; one timer at most.
  schedule(now = false) {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.visible || !this.event || document.visibilityState !== 'visible') return;
    if (now) this.refresh();
    else this.timer = setTimeout(() => this.refresh(), refreshEvery);
  }

  // The event's categories and seat map, fresh from the node; one refresh at a time.
  refresh() {
    const event = this.event;
    if (this.refreshing) {
      // One in flight for another event (the person changed events): this one's after it.
      return this.refreshing.event === event ? this.refreshing : this.refreshing.then(() => this.refresh());
    }
    clearTimeout(this.timer);
    this.refreshing = (async () => {
      try {
        await this.releasing; // a hold given back shows its seats free
        // Seats chosen by hand, the sale unchanged while the node was read: any it no longer
        // offers leave the sale.
        const sale = this.sale;
        const byHand = () => this.sale === sale && !sale.hold && !this.pending && !this.paying;
        const checkSeats = byHand();
        const path = `/v1/events/${encodeURIComponent(event.id)}`;
        const [availability, seats] = await Promise.all([call('GET', path + '/availability'), call('GET', path + '/seats')]);
        if (this.event !== event) return;
        this.connection.answered();
        this.availability = availability;
        knowCategories(event.id, availability.categories);
        this.seats = seats;
        if (checkSeats && byHand()) this.dropLostSeats();
        this.draw();
        const map = byID('map');
        map.dataset.refreshes = String(Number(map.dataset.refreshes ?? 0) + 1);
      } catch (error) {
        this.connection.failed(error);
      } finally {
        this.refreshing = null;
        this.schedule();
      }
    })();
    this.refreshing.event = event;
    return this.refreshing;
  }

  draw() {
    this.drawCategories();
    this.map.show(this.seats, new Set(this.sale.seats));
    byID('map').hidden = this.seats.length === 0;
    this.drawSale();
  }

  drawCategories() {
    const list = byID('categories');
    for (const category of this.availability?.categories ?? []) {
      let row = this.categoryRows.get(category.code);
      if (!row) {
        const id = 'quantity-' + category.code;
        const quantity = h('input', {
          id, type: 'number', min: 1, max: 99, inputmode: 'numeric', class: 'quantity', autocomplete: 'off',
        });
        const left = h('span', { class: 'left' });
        const form = h('form', {
          class: 'category', novalidate: true,
          onsubmit: (event) => {
            event.preventDefault();
            this.chooseQuantity(category.code, quantity);
          },
        },
        h('span', { class: 'name' }, h('strong', { text: category.name }), ' ', h('span', { text: money(category.price) })),
        left,
        h('label', { for: id, class: 'visually-hidden', text: `How many ${category.name} tickets` }),
        quantity,
        h('button', { type: 'submit', text: category.kind === 'seated' ? 'Best seats' : 'Add' }));
        row = { kind: category.kind, quantity, left };
        this.categoryRows.set(category.code, row);
        list.append(h('li', {}, form));
      }
      row.left.textContent = `${category.available} left`;
      row.category = category;
    }
  }

  // Seats of this sale the node no longer offers (another till sold or holds them, or they
  // went to another node) leave it, and the cashier is told which, after what the page said
  // last (a refusal of the sale just sent, which this reading of the seats usually follows).
  dropLostSeats() {
    const lost = this.sale.seats.map((label) => this.seats.find((seat) => seat.label === label))
      .filter((seat) => seat && seat.status !== 'available');
    if (lost.length === 0) return;
    const labels = new Set(lost.map((seat) => seat.label));
    const seats = this.sale.seats.filter((label) => !labels.has(label));
    this.sale = seats.length ? { ...this.sale, seats, quantity: seats.length } : emptySale();
    const words = { sold: 'sold by another till', held: 'held for another sale', unallocated: "moved to another node" };
    const note = lost.map((seat) => `${seatName(seat)} was ${words[seat.status] ?? seat.status}`).join('; ')
      + ' meanwhile: taken out of this sale.';
    const before = byID('sale-error').textContent;
    say('sale-error', before ? `${before} ${note}` : note);
  }

  category(code) {
    return this.availability?.categories.find((category) => category.code === code) ?? null;
  }

  // The best available seats for a seated category (held while the customer agrees), or a
  // quantity of general admission; one choice at a time (a double Enter waits for the first).
  chooseQuantity(code, input) {
    const value = input.value;
    const choice = this.choosing.then(() => this.choose(code, value, input));
    this.choosing = choice.catch(() => {}); // a choice that failed does not stop the next
    return choice;
  }

  async choose(code, value, input) {
    if (this.waitingForAnswer()) return;
    say('sale-error', '');
    const quantity = Number(value);
    if (!Number.isInteger(quantity) || quantity < 1) {
      say('sale-error', 'Give how many tickets, 1 or more.');
      input.focus();
      return;
    }
    const category = this.category(code);
    if (this.sale.hold && this.sale.category === code && this.sale.quantity === quantity) {
      this.afterChoice(); // the same again (a double Enter): the hold already made
      return;
    }
    await this.releaseHold();
    if (category.kind !== 'seated') {
      this.sale = { category: code, seats: [], quantity, hold: null };
      this.afterChoice();
      return;
    }
    const body = { event: this.event.id, category: code, quantity };
    const held = (hold) => {
      this.connection.answered();
      this.sale = { category: code, seats: hold.seats, quantity: hold.quantity, hold };
      this.afterChoice();
      this.refresh();
    };
    const settled = await this.settleHold(body);
    if (settled.hold) return held(settled.hold);
    if (!settled.done) {
      this.connection.failed(settled.error);
      say('sale-error', `${settled.error.message} The last hold got no answer: it is given back before another `
        + 'is placed.');
      return;
    }
    this.keepHold({ key: newKey('till-hold'), body }); // pinned before it is sent
    try {
      const hold = await call('POST', '/v1/holds', { body, key: this.pendingHold.key });
      this.keepHold(null);
      held(hold);
    } catch (error) {
      this.connection.failed(error);
      const undecided = !(error instanceof APIError) || error.undecided;
      if (!undecided) this.keepHold(null);
      this.sale = emptySale();
      this.draw();
      say('sale-error', undecided ? `${error.message} Whatever it held is given back before another hold is placed.`
        : error.message);
    }
  }

  // The hold the node did not answer, in this page and in the tab's sessionStorage (null: none).
  keepHold(pending) {
    this.pendingHold = pending;
    keep(pendingHoldName, pending);
  }

  // Settles the hold the node did not answer, one settling at a time: asked again under its key
  // (the node answers with the hold it made, or makes it now), then given back; or, when
  // `wanted` is that same request, it is this sale's (`{done: true, hold}`). `{done: false,
  // error}` while the node does not answer.
  settleHold(wanted = null) {
    const settled = this.settling.then(() => this.settleOnce(wanted));
    this.settling = settled.catch(() => {});
    return settled;
  }

  async settleOnce(wanted) {
    const pending = this.pendingHold;
    if (!pending) return { done: true };
    try {
      if (!pending.hold_id) {
        const hold = await call('POST', '/v1/holds', { body: pending.body, key: pending.key });
        if (wanted && JSON.stringify(wanted) === JSON.stringify(pending.body)) {
          this.keepHold(null);
          return { done: true, hold };
        }
        this.keepHold({ ...pending, hold_id: hold.hold_id, releaseKey: newKey('till-release') });
      }
      const release = this.pendingHold;
      await call('POST', `/v1/holds/${encodeURIComponent(release.hold_id)}/release`, { key: release.releaseKey });
      this.keepHold(null);
      return { done: true };
    } catch (error) {
      if (error instanceof APIError && !error.undecided) {
        this.keepHold(null); // refused: nothing held (or no longer)
        return { done: true };
      }
      return { done: false, error };
    }
  }

  afterChoice() {
    for (const row of this.categoryRows.values()) row.quantity.value = '';
    this.draw();
    byID('pay').focus();
  }

  // A click on a seat: in or out of this sale. Seats of another category start a new sale; a
  // hold of best seats becomes seats chosen by hand (given back, the seats stay chosen).
  toggle(seat) {
    if (this.waitingForAnswer()) return;
    say('sale-error', '');
    const chosen = this.sale.seats.includes(seat.label);
    if (!chosen && seat.status !== 'available') {
      say('sale-error', `${seatName(seat)} is ${seat.status === 'unallocated' ? "another node's to sell" : seat.status}.`);
      return;
    }
    let seats = this.sale.category === seat.category ? [...this.sale.seats] : [];
    if (this.sale.hold) this.releaseHold();
    seats = chosen ? seats.filter((label) => label !== seat.label) : [...seats, seat.label];
    this.sale = seats.length ? { category: seat.category, seats, quantity: seats.length, hold: null } : emptySale();
    this.draw();
  }

  // Gives the sale's hold back; a sale of its seats sent after waits until the node has them.
  releaseHold({ keepalive = false } = {}) {
    const hold = this.sale.hold;
    // The hold of a sale sent for confirmation is the node's to decide on.
    if (!hold || this.pending) return this.releasing;
    this.sale.hold = null;
    this.releasing = call('POST', `/v1/holds/${encodeURIComponent(hold.hold_id)}/release`, {
      key: newKey('till-release'), keepalive,
    }).then(() => {}, () => {
      // A hold not given back ends by itself when its time is up.
    });
    return this.releasing;
  }

  async clear() {
    if (this.waitingForAnswer()) return;
    await this.releaseHold();
    await this.settleHold();
    this.sale = emptySale();
    say('sale-error', '');
    this.draw();
    this.refresh();
    [...this.categoryRows.values()][0]?.quantity.focus();
  }

  // What the customer pays: nothing for complimentary tickets.
  total() {
    const category = this.category(this.sale.category);
    if (!category) return null;
    const minor = this.method() === 'comp' ? 0 : category.price.minor * this.sale.quantity;
    return { minor, currency: category.price.currency };
  }

  method() {
    return document.querySelector('input[name=method]:checked').value;
  }

  drawSale() {
    this.drawPending();
    const lines = byID('sale-lines');
    const category = this.category(this.sale.category);
    byID('sale-empty').hidden = this.sale.quantity > 0;
    if (!category || this.sale.quantity === 0) {
      lines.replaceChildren();
      delete lines.dataset.drawn;
      byID('sale-hold').textContent = '';
      this.showPayForm();
      this.drawPayment(); // an unanswered sale of an event not read again yet: Pay still sends it
      return;
    }
    // Drawn again only when the sale changed, so that a refresh keeps the focus on a line.
    const drawn = JSON.stringify([this.sale, category.price]);
    if (lines.dataset.drawn === drawn) {
      this.showPayForm();
      this.drawPayment();
      return;
    }
    lines.dataset.drawn = drawn;
    if (this.sale.seats.length) {
      lines.replaceChildren(...this.sale.seats.map((label) => h('li', {},
        h('span', { text: seatName(label) }),
        h('span', { class: 'price', text: money(category.price) }),
        this.sale.hold ? null : h('button', {
          type: 'button', class: 'link', 'aria-label': `Remove ${seatName(label)}`, text: 'Remove',
          onclick: () => this.toggle(this.seats.find((seat) => seat.label === label)),
        }))));
    } else {
      lines.replaceChildren(h('li', {},
        h('span', { text: `${this.sale.quantity} × ${category.name}` }),
        h('span', { class: 'price', text: moneyOf(category.price.minor * this.sale.quantity, category.price.currency) })));
    }
    byID('sale-hold').textContent = this.sale.hold
      ? `Best seats held for this sale until ${localTime(this.sale.hold.expires_at, this.sale.hold.timezone, { date: false })}.`
      : '';
    this.showPayForm();
    this.drawPayment();
  }

  showPayForm() {
    byID('pay-form').hidden = this.sale.quantity === 0;
  }

  drawPayment() {
    const total = this.total();
    const method = this.method();
    byID('cash-fields').hidden = method !== 'cash';
    byID('card-fields').hidden = method !== 'card';
    if (this.pending) byID('pay').textContent = 'Pay again (as first sent)';
    if (!total) return;
    byID('sale-total').textContent = money(total);
    if (!this.pending) byID('pay').textContent = method === 'comp' ? `Issue ${this.sale.quantity} free` : `Pay ${money(total)}`;
    const tendered = byID('tendered').value.trim();
    const given = tendered === '' ? total.minor : parseMoney(tendered, total.currency);
    byID('change').textContent = given === null ? 'not an amount'
      : given < total.minor ? `short by ${moneyOf(total.minor - given, total.currency)}`
      : moneyOf(given - total.minor, total.currency);
  }

  // The payment and customer as the API takes them; null (and the reason shown) when a field
  // is not yet right.
  paymentBody() {
    const total = this.total();
    const method = this.method();
    const payment = { method, amount_minor: total.minor };
    if (method === 'cash') {
      const text = byID('tendered').value.trim();
      if (text !== '') {
        const tendered = parseMoney(text, total.currency);
        if (tendered === null) {
          say('sale-error', `Give the cash tendered as an amount, like ${moneyOf(total.minor, total.currency)}.`);
          byID('tendered').focus();
          return null;
        }
        payment.tendered_minor = tendered;
      }
    } else if (method === 'card') {
      const reference = byID('card-reference').value.trim();
      if (reference) payment.reference = reference;
    }
    const email = byID('customer-email').value.trim();
    return { payment, customer: email ? { email } : undefined };
  }

  // What the cashier has on the payment form, to tell whether it changed after a sale was sent.
  formState() {
    return {
      method: this.method(), tendered: byID('tendered').value.trim(),
      reference: byID('card-reference').value.trim(), email: byID('customer-email').value.trim(),
    };
  }

  // The sale in a few words: `2 × Standing · cash €90.00, €100.00 tendered`.
  summary() {
    const category = this.category(this.sale.category);
    const total = this.total();
    const form = this.formState();
    const what = this.sale.seats.length ? this.sale.seats.map(seatName).join(', ')
      : `${this.sale.quantity} × ${category?.name ?? this.sale.category}`;
    const paid = [`${form.method} ${total ? money(total) : ''}`.trim()];
    if (form.method === 'cash' && form.tendered) paid.push(`${form.tendered} tendered`);
    if (form.method === 'card' && form.reference) paid.push(`reference ${form.reference}`);
    if (form.email) paid.push(form.email);
    return `${what} · ${paid.join(', ')}`;
  }

  // True, and the cashier told why, while a sale waits for the node's answer: no other starts.
  waitingForAnswer() {
    if (!this.pending) return false;
    say('sale-error', this.paying ? 'This sale is being sent: wait for the node\'s answer.'
      : 'This sale has no answer from the node yet: press Pay to send it again exactly as it was sent '
        + 'and learn what happened. No other sale starts before.');
    byID('pay').focus();
    return true;
  }

  async pay() {
    if (byID('pay').disabled) return;
    if (this.pending) return this.sendPending();
    if (this.sale.quantity === 0) return;
    say('sale-error', '');
    const body = this.paymentBody();
    if (!body) return;
    const sale = this.sale;
    const request = sale.hold
      ? { path: `/v1/holds/${encodeURIComponent(sale.hold.hold_id)}/confirm`, body }
      : {
        path: '/v1/sales',
        body: {
          event: this.event.id, category: sale.category,
          ...(sale.seats.length ? { seats: sale.seats } : { quantity: sale.quantity }), ...body,
        },
      };
    // Pinned before it is sent: until the node answers, Pay sends exactly this under this key.
    this.pin({
      ...request, key: newKey('till-sale'), staff: session()?.staff ?? null, event: this.event, sale,
      form: this.formState(), summary: this.summary(), sentAt: new Date().toISOString(), sent: false,
    });
    await this.sendPending();
  }

  // The unanswered sale, in this page and in the tab's sessionStorage (null: none).
  pin(pending) {
    this.pending = pending;
    try {
      if (pending) sessionStorage.setItem(pendingName, JSON.stringify(pending));
      else sessionStorage.removeItem(pendingName);
    } catch {
      // Storage full or refused: the sale stays pinned in this page, and leaving it asks first.
    }
  }

  // After a reload (or a sign-in again), the sale this tab left unanswered: shown as it was on
  // its event, and sent again unchanged.
  async resume() {
    const kept = keptSale();
    if (!kept || this.pending || kept.staff !== session()?.staff) return;
    await this.pick(kept.event);
    this.sale = kept.sale;
    const form = kept.form ?? {};
    const method = document.querySelector(`input[name=method][value="${CSS.escape(form.method ?? 'cash')}"]`);
    if (method) method.checked = true;
    byID('tendered').value = form.tendered ?? '';
    byID('card-reference').value = form.reference ?? '';
    byID('customer-email').value = form.email ?? '';
    this.pending = kept;
    this.draw();
    await this.sendPending({ resumed: true });
  }

  // Sends the pinned sale: a receipt (the sale made now or before), a refusal (not made: the
  // next Pay is a new sale), or no answer again (it stays pinned).
  async sendPending({ resumed = false } = {}) {
    const pending = this.pending;
    const button = byID('pay');
    const again = pending.sent;
    pending.sent = true;
    this.pin(pending);
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    this.paying = true;
    say('sale-error', '');
    try {
      await this.releasing;
      const receipt = await call('POST', pending.path, { body: pending.body, key: pending.key });
      this.pin(null);
      this.connection.answered();
      const changed = again && JSON.stringify(pending.form) !== JSON.stringify(this.formState());
      this.sold(receipt, changed
        ? `This is the sale as first sent (${pending.summary}): what was changed on the form after it got no `
          + 'answer was not sent.'
        : resumed ? 'This sale had no answer when the page was left or reloaded: the page sent it again as '
          + 'it was sent, and this is the node\'s answer.' : '');
    } catch (error) {
      this.connection.failed(error);
      if (!(error instanceof APIError) || error.undecided) {
        say('sale-error', `${error.message} Pay sends this sale again exactly as it was sent, so it is never `
          + 'sold twice; no other sale starts before the node has answered.');
      } else {
        this.pin(null);
        if (['hold_expired', 'hold_released'].includes(error.code) && this.sale === pending.sale) {
          // The seats stay chosen; paying again sells them directly if they are still free.
          this.sale.hold = null;
        }
        say('sale-error', again ? `The sale as first sent was not made: ${error.message}` : error.message);
      }
    } finally {
      this.paying = false;
      byID('pay-form').dataset.idempotencyKey = this.pending?.key ?? '';
      button.disabled = false;
      button.removeAttribute('aria-busy');
      this.drawSale();
    }
  }

  // The line that says a sale waits for the node's answer.
  drawPending() {
    const line = byID('sale-pending');
    line.hidden = this.pending === null || !this.pending.sent || this.paying;
    if (line.hidden) return;
    const sent = localTime(this.pending.sentAt, this.event?.timezone, { date: false });
    line.textContent = `No answer yet for the sale sent at ${sent}: ${this.pending.summary}.`;
  }

  sold(receipt, note = '') {
    this.sale = emptySale();
    for (const id of ['tendered', 'card-reference', 'customer-email']) byID(id).value = '';
    document.querySelector('input[name=method][value=cash]').checked = true;
    byID('sale').hidden = true;
    byID('receipt-panel').hidden = false;
    showReceipt(byID('receipt'), receipt);
    byID('receipt-title').textContent = receipt.replayed ? 'Sold (already)' : 'Sold';
    byID('receipt-note').textContent = note;
    byID('receipt-note').hidden = note === '';
    this.draw();
    this.refresh();
    byID('new-sale').focus();
  }

  showSalePanel() {
    byID('sale').hidden = false;
    byID('receipt-panel').hidden = true;
  }

  newSale() {
    this.showSalePanel();
    say('sale-error', '');
    this.draw();
    const first = [...this.categoryRows.values()].find((row) => row.kind === 'seated') ?? this.categoryRows.values().next().value;
    first?.quantity.focus();
  }
}

function emptySale() {
  return { category: null, seats: [], quantity: 0, hold: null };
}
