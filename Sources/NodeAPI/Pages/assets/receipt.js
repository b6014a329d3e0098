// A receipt as the customer takes it away: the event in the venue's time, each ticket with its
// seat, code and QR code, the total and the payment.
import { call, fetchImage } from './api.js';
import { details, h } from './dom.js';
import { localTime, money, seatName } from './format.js';

// Where a ticket's QR code is served (`GET`, with the session; SVG): the signed code its printed
// ticket carries. Without an image (no answer, or no such ticket here) the code shows as text.
export function qrPath(code) {
  return `/v1/tickets/${encodeURIComponent(code)}/qr`;
}

// The object URLs of the QR codes each receipt container shows, freed when it shows another.
const shownImages = new WeakMap();

const methodNames = { cash: 'Cash', card: 'Card', comp: 'Complimentary' };

// Category names by event and code, as this page last read them: a receipt carries the code.
const categoryNames = new Map();

// Keeps the names of `eventID`'s categories (the API's availability categories).
export function knowCategories(eventID, categories) {
  for (const category of categories) categoryNames.set(`${eventID}\n${category.code}`, category.name);
}

// The name of `receipt`'s category, or null when this page has not read it.
export function categoryName(receipt) {
  return categoryNames.get(`${receipt.event_id}\n${receipt.category}`) ?? null;
}
const ticketStates = { valid: 'valid', checked_in: 'checked in', refunded: 'refunded', void: 'void' };

// The receipt's elements.
export function receiptElement(receipt) {
  const payment = receipt.payment;
  const paid = [
    ['Total', money(receipt.total)],
    [methodNames[payment.method] ?? payment.method, money(payment.tendered ?? payment.amount)],
    ['Change', payment.change ? money(payment.change) : null],
    ['Terminal reference', payment.reference],
    ['Refunded', payment.refunded.minor > 0 ? money(payment.refunded) : null],
  ];
  const tickets = h('ol', { class: 'tickets' }, receipt.tickets.map((ticket) => {
    const qr = h('img', {
      class: 'qr', alt: `QR code of ticket ${ticket.code}`, width: 112, height: 112, hidden: true,
      'data-code': ticket.code,
    });
    return h('li', { class: 'ticket', 'data-status': ticket.status }, qr, h('div', {},
      ticket.seat ? h('p', { class: 'seat', text: seatName(ticket.seat) })
        : h('p', { class: 'seat category-name', text: categoryName(receipt) ?? receipt.category }),
      h('p', { class: 'code', text: ticket.code }),
      h('p', { class: 'muted', text: `${money(ticket.price)} · ${ticketStates[ticket.status] ?? ticket.status}` })));
  }));
  return [
    h('p', { class: 'receipt-event', text: receipt.event_name }),
    h('p', { text: localTime(receipt.event_starts_at, receipt.timezone) }),
    details([
      ['Order', h('span', { class: 'order-id', text: receipt.order_id })],
      ['Sold', localTime(receipt.created_at, receipt.timezone)],
      ['Category', h('span', { class: 'category-name', text: categoryName(receipt) ?? receipt.category })],
      ['Customer', receipt.customer_email],
      ['Status', receipt.status.replace('_', ' ')],
    ]),
    tickets,
    details(paid, 'facts totals'),
    receipt.replayed
      ? h('p', { class: 'note', role: 'status', text: 'This sale had already been made: nothing was charged again.' })
      : null,
  ];
}

// Shows `receipt` in `container` and fetches its QR codes.
export function showReceipt(container, receipt) {
  for (const url of shownImages.get(container) ?? []) URL.revokeObjectURL(url);
  const urls = [];
  shownImages.set(container, urls);
  container.replaceChildren(...receiptElement(receipt).filter(Boolean));
  if (categoryName(receipt) === null) nameCategory(container, receipt, urls);
  loadQRCodes(container, urls);
}

// Reads the names of the receipt's event's categories and names its category where it shows
// the code; the code stays when the node does not answer.
async function nameCategory(container, receipt, urls) {
  try {
    knowCategories(receipt.event_id,
      (await call('GET', `/v1/events/${encodeURIComponent(receipt.event_id)}/availability`)).categories);
  } catch {
    return;
  }
  const name = categoryName(receipt);
  if (name === null || shownImages.get(container) !== urls) return; // another receipt took its place
  for (const element of container.querySelectorAll('.category-name')) element.textContent = name;
}

async function loadQRCodes(container, urls) {
  for (const image of container.querySelectorAll('img.qr[data-code]')) {
    const blob = await fetchImage(qrPath(image.dataset.code));
    if (shownImages.get(container) !== urls) return; // another receipt took its place
    if (blob instanceof Blob) {
      const url = URL.createObjectURL(blob);
      urls.push(url);
      image.src = url;
      image.hidden = false;
    }
  }
}

// Prints `element` alone (the print stylesheet hides the rest of the page).
export function printOnly(element) {
  for (const other of document.querySelectorAll('.print-target')) other.classList.remove('print-target');
  element.classList.add('print-target');
  window.print();
}
