// The node's API as the pages call it: the session token kept in this tab's sessionStorage and
// sent as a bearer header (never a cookie, so no other site can make the browser use it), one
// idempotency key per attempt of a write, and the API's own sentence when it refuses.

const sessionName = 'venue-node.session';
const roles = ['cashier', 'supervisor', 'admin'];

// A refusal or no answer at all: `status` 0 when the node did not answer.
export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  // True when the node did not decide: no answer, or busy; the same attempt may be sent again.
  get retryable() {
    return this.status === 0 || this.status >= 500;
  }

  // True when the request may not have been carried out, or was not looked at: no answer, busy,
  // the session ended (sign in, then send it again), or too many requests.
  get undecided() {
    return this.retryable || [401, 408, 429].includes(this.status);
  }
}

// The signed-in staff member of this tab: `{token, staff, role, node_id, expires_at}`, or null.
export function session() {
  try {
    const value = JSON.parse(sessionStorage.getItem(sessionName) ?? 'null');
    return value && typeof value.token === 'string' ? value : null;
  } catch {
    return null;
  }
}

// True when the signed-in role is `role` or above.
export function atLeast(role) {
  const current = session();
  return current !== null && roles.indexOf(current.role) >= roles.indexOf(role);
}

// Signs in and keeps the session in this tab.
export async function signIn(name, password) {
  const answer = await call('POST', '/v1/sessions', { body: { name, password }, anonymous: true });
  sessionStorage.setItem(sessionName, JSON.stringify(answer));
  return answer;
}

// Ends the session at the node (when it answers) and in this tab.
export async function signOut() {
  try {
    if (session()) await call('DELETE', '/v1/sessions/current');
  } finally {
    sessionStorage.removeItem(sessionName);
  }
}

// Calls the API; the answer's JSON, or throws an APIError with the node's sentence. A 401 ends
// the tab's session and tells the page (`session-ended` on window).
export async function call(method, path, { body, key, anonymous = false, keepalive = false } = {}) {
  const headers = { Accept: 'application/json' };
  const current = anonymous ? null : session();
  if (current) headers.Authorization = 'Bearer ' + current.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (key) headers['Idempotency-Key'] = key;
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store', credentials: 'omit', redirect: 'error', keepalive,
      signal: AbortSignal.timeout(20000),
    });
  } catch {
    throw new APIError(0, 'no_answer', 'The node does not answer. Check the network, then try again.');
  }
  if (response.status === 204) return null;
  let document = null;
  try {
    document = await response.json();
  } catch {
    document = null;
  }
  if (!response.ok) {
    const error = document?.error;
    // The session this call was sent with ended; not one signed in since it was sent.
    if (response.status === 401 && current && session()?.token === current.token) {
      sessionStorage.removeItem(sessionName);
      window.dispatchEvent(new CustomEvent('session-ended', { detail: error?.message }));
    }
    throw new APIError(response.status, error?.code ?? 'error',
      error?.message ?? `The node answered ${response.status} ${response.statusText}.`);
  }
  return document;
}

// A fresh idempotency key: `prefix-` and 32 random hex digits (crypto.getRandomValues works on
// plain http too, where crypto.randomUUID does not).
export function newKey(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return prefix + '-' + Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

// One write as a person means it: the same request sent again (a double click, Retry after no
// answer) is the same attempt under the same key, and joins the call in flight; an answer the
// node decided, or another request, starts a new attempt with a new key.
export class Attempt {
  constructor(prefix) {
    this.prefix = prefix;
    this.request = null;
    this.key = null;
    this.inFlight = null;
  }

  send(method, path, body) {
    const request = method + ' ' + path + ' ' + JSON.stringify(body ?? null);
    if (this.inFlight && request === this.request) return this.inFlight;
    if (request !== this.request) {
      this.request = request;
      this.key = newKey(this.prefix);
    }
    const sent = call(method, path, { body, key: this.key }).then(
      (answer) => {
        this.forget();
        return answer;
      },
      (error) => {
        if (!(error instanceof APIError) || !error.retryable) this.forget();
        throw error;
      });
    this.inFlight = sent;
    sent.finally(() => {
      if (this.inFlight === sent) this.inFlight = null;
    }).catch(() => {});
    return sent;
  }

  // The key of the attempt not yet decided, if any.
  get pendingKey() {
    return this.key;
  }

  forget() {
    this.request = null;
    this.key = null;
  }
}

// An image the API serves with the session (a ticket's QR code): a Blob, 404 when the node has
// no such route or ticket, or null for any other failure.
export async function fetchImage(path) {
  const current = session();
  try {
    const response = await fetch(path, {
      headers: current ? { Authorization: 'Bearer ' + current.token } : {},
      cache: 'no-store', credentials: 'omit', redirect: 'error', signal: AbortSignal.timeout(20000),
    });
    if (response.status === 404) return 404;
    if (!response.ok || !(response.headers.get('Content-Type') ?? '').startsWith('image/')) return null;
    return await response.blob();
  } catch {
    return null;
  }
}
