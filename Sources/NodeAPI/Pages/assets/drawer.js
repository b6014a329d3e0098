// The cashier's drawer (open with a float, close with the cash counted: over or short) and the
// reports: the shift since the drawer opened, and a day's for supervisors.
import { APIError, Attempt, call } from './api.js';
import { byID, details, h, say } from './dom.js';
import { localDate, localTime, money, parseMoney } from './format.js';
import { printOnly } from './receipt.js';

const methodNames = { cash: 'Cash', card: 'Card', comp: 'Complimentary' };

export class Drawer {
  constructor(connection) {
    this.connection = connection;
    this.node = null; // /v1/status: the node's currency and zone
    this.opening = new Attempt('till-drawer-open');
    this.closing = new Attempt('till-drawer-close');
    byID('drawer-open-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.open();
    });
    byID('drawer-close-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.close();
    });
    byID('shift-report').addEventListener('click', () => this.report('/v1/reports/shift'));
    byID('report-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const date = byID('report-date').value;
      this.report('/v1/reports/day' + (date ? '?date=' + encodeURIComponent(date) : ''));
    });
    byID('print-report').addEventListener('click', () => printOnly(byID('report')));
  }

  setNode(node) {
    this.node = node;
    if (!byID('report-date').value) byID('report-date').value = localDate(node.timezone);
  }

  async show() {
    say('drawer-error', '');
    let drawer = null;
    try {
      drawer = await call('GET', '/v1/drawer');
      this.connection.answered();
    } catch (error) {
      this.connection.failed(error);
      if (!(error instanceof APIError && error.status === 404)) {
        say('drawer-error', error.message);
        return;
      }
    }
    this.draw(drawer);
  }

  draw(drawer) {
    const zone = this.node?.timezone ?? 'UTC';
    const open = drawer !== null && !drawer.closed_at;
    byID('drawer-state').replaceChildren(drawer === null
      ? h('p', { class: 'muted', text: 'You have not opened a drawer yet.' })
      : details([
        ['State', open ? 'open' : 'closed'],
        ['Opened', localTime(drawer.opened_at, zone)],
        ['Closed', drawer.closed_at ? localTime(drawer.closed_at, zone) : null],
        ['Float', money(drawer.float)],
        ['Cash sales', money(drawer.cash_sales)],
        ['Cash refunds', money(drawer.cash_refunds)],
        ['Expected in the drawer', money(drawer.expected)],
        ['Counted', drawer.counted ? money(drawer.counted) : null],
        ['Over (+) or short (−)', drawer.over_short ? money(drawer.over_short) : null],
      ]));
    byID('drawer-open-form').hidden = open;
    byID('drawer-close-form').hidden = !open;
  }

  amount(id) {
    const currency = this.node?.currency ?? 'EUR';
    const minor = parseMoney(byID(id).value.trim(), currency);
    if (minor === null) {
      say('drawer-error', 'Give an amount, like 100.00.');
      byID(id).focus();
    }
    return minor;
  }

  async open() {
    say('drawer-error', '');
    const float = this.amount('drawer-float');
    if (float === null) return;
    await this.write(this.opening, '/v1/drawer/open', { float_minor: float }, 'drawer-float');
  }

  async close() {
    say('drawer-error', '');
    const counted = this.amount('drawer-counted');
    if (counted === null) return;
    await this.write(this.closing, '/v1/drawer/close', { counted_minor: counted }, 'drawer-counted');
  }

  async write(attempt, path, body, field) {
    const button = byID(field).form.querySelector('button');
    if (button.disabled) return;
    button.disabled = true;
    try {
      const drawer = await attempt.send('POST', path, body);
      this.connection.answered();
      byID(field).value = '';
      this.draw(drawer);
    } catch (error) {
      this.connection.failed(error);
      say('drawer-error', error.message);
    } finally {
      button.disabled = false;
    }
  }

  async report(path) {
    say('report-error', '');
    let report;
    try {
      report = await call('GET', path);
      this.connection.answered();
    } catch (error) {
      this.connection.failed(error);
      say('report-error', error.message);
      return;
    }
    const zone = report.timezone;
    const lines = (rows) => rows.length === 0 ? h('p', { class: 'muted', text: 'None.' })
      : h('ul', { class: 'totals-list' }, rows.map((row) => h('li', {},
        h('span', { text: `${methodNames[row.method] ?? row.method}: ${row.orders} orders, ${row.tickets} tickets` }),
        h('span', { class: 'price', text: money(row.amount) }))));
    byID('report').replaceChildren(
      h('h3', { text: report.kind === 'shift' ? `Shift of ${report.cashier ?? ''}`.trim() : 'Day' }),
      h('p', { text: `${localTime(report.from, zone)} to ${localTime(report.until, zone)}` }),
      h('h4', { text: 'Sales' }), lines(report.sales),
      h('h4', { text: 'Refunds' }), lines(report.refunds),
      details([['Net tickets', String(report.net_tickets)], ['Net', money(report.net)]], 'facts totals'));
    byID('print-report').hidden = false;
  }
}
