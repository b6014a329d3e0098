// Looking up an order (by its id, a ticket code, or the customer's email, name or phone),
// reprinting its receipt, and refunding tickets of it: the refund form is shown to supervisors;
// the node refuses anyone else whatever the page shows.
import { Attempt, call } from './api.js';
import { byID, details, h, say } from './dom.js';
import { localTime, money, seatName } from './format.js';
import { categoryName, printOnly, showReceipt } from './receipt.js';

export class Orders {
  constructor(connection, onRefunded) {
    this.connection = connection;
    this.onRefunded = onRefunded;
    this.order = null;
    this.timezone = null; // the node's zone, for the times of a list of orders
    this.refunding = new Attempt('till-refund');
    byID('lookup-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.lookUp();
    });
    byID('refund-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.refund();
    });
    byID('print-order').addEventListener('click', () => printOnly(byID('order-receipt')));
  }

  focus() {
    byID('lookup').focus();
  }

  async lookUp() {
    const text = byID('lookup').value.trim();
    say('lookup-error', '');
    byID('hits').replaceChildren();
    byID('order').hidden = true;
    if (!text) {
      say('lookup-error', 'Give an order id, a ticket code, or an email, name or phone.');
      return;
    }
    let hits;
    try {
      hits = await call('GET', '/v1/orders?q=' + encodeURIComponent(text));
      this.connection.answered();
    } catch (error) {
      this.connection.failed(error);
      say('lookup-error', error.message);
      return;
    }
    if (hits.length === 0) {
      say('lookup-error', `No order matches '${text}'.`);
      return;
    }
    if (hits.length === 1) {
      await this.open(hits[0].order_id);
      return;
    }
    byID('hits').replaceChildren(...hits.map((hit) => h('li', {}, h('button', {
      type: 'button', class: 'hit', onclick: () => this.open(hit.order_id),
    },
    h('strong', { text: hit.customer_name ?? hit.customer_email ?? hit.order_id }),
    h('span', { text: `${hit.tickets} tickets · ${money(hit.total)} · ${hit.status.replace('_', ' ')}` }),
    h('span', { class: 'muted', text: this.timezone ? localTime(hit.created_at, this.timezone) : hit.created_at }),
    h('span', { class: 'muted order-id', text: `${hit.event_id} · ${hit.order_id}` })))));
    byID('hits').querySelector('button').focus();
  }

  async open(orderID) {
    say('refund-error', '');
    say('refund-done', '');
    await this.load(orderID);
    byID('order-title').focus();
  }

  async load(orderID) {
    let order;
    try {
      order = await call('GET', '/v1/orders/' + encodeURIComponent(orderID));
      this.connection.answered();
    } catch (error) {
      this.connection.failed(error);
      say('lookup-error', error.message);
      return;
    }
    this.order = order;
    const receipt = order.order;
    byID('order').hidden = false;
    byID('order-title').textContent = receipt.customer_email ? `Order of ${receipt.customer_email}` : 'Order';
    byID('order-title').setAttribute('tabindex', '-1');
    showReceipt(byID('order-receipt'), receipt);
    byID('order-refunds').replaceChildren(...order.refunds.map((refund) => h('section', { class: 'refund' },
      h('h3', { text: `Refund ${refund.status === 'pending' ? '(queued)' : ''}`.trim() }),
      details([
        ['Amount', money(refund.amount)],
        ['Method', refund.method],
        ['Tickets', refund.tickets.join(', ')],
        ['Reason', refund.reason],
        ['Made by', refund.origin.replace('_', ' ')],
      ]))));
    const refundable = receipt.tickets.filter((ticket) => ticket.status === 'valid');
    byID('refund-tickets').replaceChildren(...refundable.map((ticket) => {
      const id = 'refund-' + ticket.code;
      return h('div', { class: 'check' },
        h('input', { type: 'checkbox', id, value: ticket.code }),
        h('label', { for: id, text: `${ticket.seat ? seatName(ticket.seat) : categoryName(receipt) ?? receipt.category} · ${ticket.code} · ${money(ticket.price)}` }));
    }), h('p', { class: 'muted', text: refundable.length
      ? 'None checked: the whole order.'
      : 'No ticket of this order can be refunded at the counter.' }));
    byID('refund').disabled = !this.refundable();
  }

  // True when the order has a ticket to refund, or a queued refund to pay out.
  refundable() {
    const order = this.order;
    return order !== null && (order.order.tickets.some((ticket) => ticket.status === 'valid')
      || order.refunds.some((refund) => refund.status === 'pending'));
  }

  async refund() {
    const button = byID('refund');
    if (button.disabled || !this.order) return;
    say('refund-error', '');
    say('refund-done', '');
    const reason = byID('refund-reason').value.trim();
    if (!reason) {
      say('refund-error', 'Give the reason for the refund.');
      byID('refund-reason').focus();
      return;
    }
    const tickets = [...byID('refund-tickets').querySelectorAll('input:checked')].map((input) => input.value);
    const orderID = this.order.order.order_id;
    button.disabled = true;
    try {
      const refund = await this.refunding.send('POST', `/v1/orders/${encodeURIComponent(orderID)}/refunds`,
        tickets.length ? { tickets, reason } : { reason });
      this.connection.answered();
      const giveBack = refund.method === 'cash' ? ': give it back from the drawer' : refund.method === 'card'
        ? ': back to the card' : '';
      byID('refund-reason').value = '';
      await this.load(orderID);
      say('refund-done', `Refunded ${money(refund.amount)} in ${refund.method}${giveBack}.`);
      this.onRefunded();
    } catch (error) {
      this.connection.failed(error);
      say('refund-error', error.message);
    } finally {
      button.disabled = !this.refundable();
    }
  }
}
