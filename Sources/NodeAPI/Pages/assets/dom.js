// Building the pages' elements without HTML strings: text is always text (the policy forbids
// inline script and the pages never parse markup they did not ship).

// `h('li', {class: 'hit', onclick: f, 'aria-label': 'x'}, 'text', child…)`.
export function h(tag, properties = {}, ...children) {
  const element = document.createElement(tag);
  assign(element, properties);
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

const svgNamespace = 'http://www.w3.org/2000/svg';

// The same for SVG elements.
export function s(tag, properties = {}, ...children) {
  const element = document.createElementNS(svgNamespace, tag);
  assign(element, properties);
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

function assign(element, properties) {
  for (const [name, value] of Object.entries(properties)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'text') element.textContent = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
}

export function byID(id) {
  return document.getElementById(id);
}

// Shows the message in an alert element (the API's sentence), or clears it.
export function say(id, message) {
  byID(id).textContent = message ?? '';
}

// A definition list from `[term, value]` pairs (a pair with no value is left out).
export function details(pairs, className = 'facts') {
  return h('dl', { class: className }, pairs.filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([term, value]) => [h('dt', { text: term }), h('dd', {}, value)]));
}
