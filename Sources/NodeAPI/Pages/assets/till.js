// The till page: sign in, then sell, look up and refund orders, and keep the drawer, each a view
// of the same page over the node's API.
import { APIError, call } from './api.js';
import { byID } from './dom.js';
import { Drawer } from './drawer.js';
import { knowZoneAbbreviations, localTime } from './format.js';
import { Orders } from './orders.js';
import { Selling } from './sell.js';
import { setUpSignIn } from './signin.js';

// Whether the node answers, shown in one line under the header: the page keeps working from
// what it last read and says since when.
const connection = {
  since: null,
  timezone: null, // the node's zone, once known
  answered() {
    const line = byID('connection');
    if (this.since === null) {
      line.hidden = true;
      return;
    }
    this.since = null;
    line.textContent = 'The node answers again.';
    line.classList.remove('down');
    line.hidden = false;
  },
  failed(error) {
    if (!(error instanceof APIError) || !error.retryable) return;
    if (this.since === null) this.since = new Date();
    const line = byID('connection');
    const since = this.timezone ? localTime(this.since.toISOString(), this.timezone, { date: false })
      : this.since.toLocaleTimeString();
    line.textContent = `${error.message} (Since ${since}; what you see may be out of date.)`;
    line.classList.add('down');
    line.hidden = false;
  },
};

const till = new Selling(connection);
const orders = new Orders(connection, () => till.refresh());
const drawer = new Drawer(connection);
const views = { sell: byID('sell'), orders: byID('orders'), drawer: byID('drawer') };
let current = 'sell';

function show(view) {
  current = view;
  for (const [name, element] of Object.entries(views)) element.hidden = name !== view;
  for (const button of byID('sections').querySelectorAll('button')) {
    if (button.dataset.view === view) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  }
  till.setVisible(view === 'sell');
  if (view === 'orders') orders.focus();
  if (view === 'drawer') drawer.show();
}

for (const button of byID('sections').querySelectorAll('button')) {
  button.addEventListener('click', () => show(button.dataset.view));
}

setUpSignIn({
  async onSignedIn() {
    byID('sections').hidden = false;
    show(current);
    try {
      const status = await call('GET', '/v1/status');
      knowZoneAbbreviations(status.timezone_abbreviations);
      connection.timezone = status.timezone;
      orders.timezone = status.timezone;
      drawer.setNode(status);
    } catch (error) {
      connection.failed(error);
    }
    await till.start();
  },
  async onSignedOut() {
    await till.stop();
    till.setVisible(false);
    byID('sections').hidden = true;
    for (const element of Object.values(views)) element.hidden = true;
  },
});

window.addEventListener('session-ended', () => {
  till.setVisible(false);
  byID('sections').hidden = true;
  for (const element of Object.values(views)) element.hidden = true;
});
