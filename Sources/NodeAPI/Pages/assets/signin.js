// The sign-in form both pages share, and what follows from the session: who is shown, what the
// role shows (the node decides what the role may do; the page only hides what it may not).
import { APIError, atLeast, session, signIn, signOut } from './api.js';
import { byID, say } from './dom.js';

// Wires the page's sign-in form; `onSignedIn(session)` runs after a sign-in and at load when
// this tab already has a session; `onSignedOut()` when it ends.
export function setUpSignIn({ onSignedIn, onSignedOut }) {
  const form = byID('sign-in-form');
  const name = byID('sign-in-name');
  const password = byID('sign-in-password');
  const button = form.querySelector('button[type=submit]');

  function show(current) {
    byID('sign-in').hidden = current !== null;
    byID('sign-out').hidden = current === null;
    byID('who').textContent = current ? `${current.staff} · ${current.role} · ${current.node_id}` : '';
    for (const element of document.querySelectorAll('[data-least-role]')) {
      element.hidden = !atLeast(element.dataset.leastRole);
    }
    for (const element of document.querySelectorAll('[data-most-role]')) {
      element.hidden = current === null || (atLeast(element.dataset.mostRole) && current.role !== element.dataset.mostRole);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    say('sign-in-error', '');
    if (!name.value.trim() || !password.value) {
      say('sign-in-error', 'Give your name and password.');
      (name.value.trim() ? password : name).focus();
      return;
    }
    button.disabled = true;
    try {
      const current = await signIn(name.value.trim(), password.value);
      password.value = '';
      show(current);
      onSignedIn(current);
    } catch (error) {
      say('sign-in-error', error instanceof APIError ? error.message : String(error));
      password.select();
    } finally {
      button.disabled = false;
    }
  });

  byID('sign-out').addEventListener('click', async () => {
    await onSignedOut();
    try {
      await signOut();
    } catch {
      // The session ends in this tab whatever the node answered.
    }
    show(null);
    name.focus();
  });

  window.addEventListener('session-ended', (event) => {
    show(null);
    say('sign-in-error', 'Your session ended (signed out, expired or the password changed): sign in again.');
    name.focus();
  });

  const current = session();
  show(current);
  if (current) onSignedIn(current);
  else name.focus();
}
