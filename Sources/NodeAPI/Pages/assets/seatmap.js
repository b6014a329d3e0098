// The seat map as SVG, from the API's seats (section, row, number, status): a block per section,
// a line per row in the order the node ranks them (best available takes the first row with room),
// each seat a checkbox. Built once per event and then only restyled, so
// that a refresh keeps the person's focus and place. Drawn at a size a finger or a mouse hits
// (a seat at least 26 CSS px), in a box that scrolls when the hall is wider than the screen, with
// a button per section that brings it into view and buttons for larger or smaller seats.
import { seatName } from './format.js';
import { h, s } from './dom.js';

const pitch = 30; // one seat's width and height with the gap, in SVG units
const size = 26;
const gutter = 40; // row labels either side
const sectionGap = 16; // between the last row of a section and the next section's name
const smallestScale = 1; // CSS px per SVG unit: a seat (26 units) never under 26 CSS px
const fitScale = 1.2; // the largest scale a map is drawn at to fill its box
const largestScale = 2.4;
const zoomStep = 1.25;

// What each status reads as, and the class that draws it.
const statusWords = {
  available: 'free', held: 'held', sold: 'sold', unallocated: "another node's", chosen: 'in this sale',
};
const statusClasses = {
  available: 'seat-free', held: 'seat-held', sold: 'seat-sold', unallocated: 'seat-unallocated', chosen: 'seat-chosen',
};

export class SeatMap {
  // `onToggle(seat)` when a person clicks a seat or presses Space or Enter on it. `tools`: the
  // elements around the map (`{tools, sections, zoomIn, zoomOut}`), or none.
  constructor(container, onToggle, tools = null) {
    this.container = container;
    this.onToggle = onToggle;
    this.tools = tools;
    this.shape = null;
    this.elements = new Map();
    this.rows = [];
    this.svg = null;
    this.size = { width: 0, height: 0 }; // the map in SVG units
    this.zoom = 1; // the person's choice, times the scale that fills the box
    this.sectionTops = new Map(); // section → its name's top, in SVG units
    if (tools) {
      tools.zoomIn.addEventListener('click', () => this.setZoom(this.zoom * zoomStep));
      tools.zoomOut.addEventListener('click', () => this.setZoom(this.zoom / zoomStep));
    }
    // The box's width decides the scale: drawn again when it changes (a rotated phone).
    let width = 0;
    new ResizeObserver(() => {
      if (Math.abs(this.container.clientWidth - width) < 1) return;
      width = this.container.clientWidth;
      this.applyScale();
    }).observe(container);
  }

  // CSS px per SVG unit: the box filled up to `fitScale`, never under `smallestScale`, times the
  // person's zoom.
  scale() {
    const room = this.container.clientWidth || this.size.width;
    const fit = Math.min(Math.max(room / this.size.width, smallestScale), fitScale);
    return Math.min(Math.max(fit * this.zoom, smallestScale), largestScale);
  }

  applyScale() {
    if (!this.svg) return;
    const scale = this.scale();
    this.svg.setAttribute('width', String(Math.round(this.size.width * scale)));
    this.svg.setAttribute('height', String(Math.round(this.size.height * scale)));
    if (this.tools) {
      this.tools.zoomOut.disabled = scale <= smallestScale;
      this.tools.zoomIn.disabled = scale >= largestScale;
    }
  }

  // Larger or smaller seats, keeping the middle of the box where it was.
  setZoom(zoom) {
    const box = this.container;
    const before = this.scale();
    const middle = { x: (box.scrollLeft + box.clientWidth / 2) / before, y: (box.scrollTop + box.clientHeight / 2) / before };
    const fit = before / this.zoom;
    this.zoom = Math.min(Math.max(zoom, smallestScale / fit), largestScale / fit);
    this.applyScale();
    const after = this.scale();
    box.scrollTo({ left: middle.x * after - box.clientWidth / 2, top: middle.y * after - box.clientHeight / 2 });
  }

  // Brings `section` into view: its name at the top of the box, its middle across.
  goTo(section) {
    const box = this.container;
    const scale = this.scale();
    box.scrollTo({ top: this.sectionTops.get(section) * scale, left: (this.size.width * scale - box.clientWidth) / 2 });
    box.scrollIntoView({ block: 'nearest' });
  }

  // Draws `seats`, those labelled in `chosen` as this sale's.
  show(seats, chosen) {
    const shape = seats.map((seat) => seat.label).join(' ');
    if (shape !== this.shape) this.build(seats);
    for (const seat of seats) {
      const element = this.elements.get(seat.label);
      const status = chosen.has(seat.label) ? 'chosen' : seat.status;
      element.seat = seat;
      element.setAttribute('class', 'seat ' + (statusClasses[status] ?? 'seat-sold'));
      element.setAttribute('aria-checked', String(status === 'chosen'));
      element.setAttribute('aria-disabled', String(status !== 'chosen' && status !== 'available'));
      element.setAttribute('aria-label', `${seatName(seat)}, ${statusWords[status] ?? status}`);
      element.dataset.status = status;
    }
  }

  build(seats) {
    this.shape = seats.map((seat) => seat.label).join(' ');
    this.elements.clear();
    this.rows = [];
    this.container.replaceChildren();
    this.svg = null;
    this.sectionTops.clear();
    if (this.tools) this.tools.tools.hidden = true;
    if (seats.length === 0) return;
    const sections = new Map();
    for (const seat of seats) {
      if (!sections.has(seat.section)) sections.set(seat.section, new Map());
      const rows = sections.get(seat.section);
      if (!rows.has(seat.row)) rows.set(seat.row, []);
      rows.get(seat.row).push(seat);
    }
    const widest = Math.max(...[...sections.values()].flatMap((rows) => [...rows.values()].map((row) => row.length)));
    const width = gutter * 2 + widest * pitch;
    const svg = s('svg', { role: 'group', 'aria-label': 'Seat map', class: 'seat-map', focusable: 'false' });
    let y = 0;
    for (const [section, rows] of sections) {
      this.sectionTops.set(section, y);
      svg.append(s('text', { class: 'section-label', x: width / 2, y: y + 12, 'text-anchor': 'middle', text: section }));
      y += 22;
      for (const [rowName, row] of rows) {
        row.sort((left, right) => left.number - right.number);
        const start = gutter + ((widest - row.length) * pitch) / 2;
        svg.append(s('text', { class: 'row-label', x: gutter / 2, y: y + 18, 'text-anchor': 'middle', text: rowName }));
        svg.append(s('text', {
          class: 'row-label', x: width - gutter / 2, y: y + 18, 'text-anchor': 'middle', text: rowName,
          'aria-hidden': 'true',
        }));
        const line = [];
        row.forEach((seat, index) => {
          const x = start + index * pitch;
          const element = s('g', { role: 'checkbox', tabindex: '-1', 'data-label': seat.label },
            s('rect', { x, y, width: size, height: size, rx: 5 }),
            s('text', { x: x + size / 2, y: y + 17, 'text-anchor': 'middle', 'aria-hidden': 'true', text: seat.number }));
          element.seat = seat;
          this.elements.set(seat.label, element);
          line.push(element);
          svg.append(element);
        });
        this.rows.push(line);
        y += pitch;
      }
      y += sectionGap - pitch + size;
    }
    svg.setAttribute('viewBox', `0 0 ${width} ${y}`);
    this.svg = svg;
    this.size = { width, height: y };
    svg.addEventListener('click', (event) => {
      const element = event.target.closest('[role=checkbox]');
      if (element) {
        this.focus(element);
        this.onToggle(element.seat);
      }
    });
    svg.addEventListener('keydown', (event) => this.key(event));
    this.rows[0][0].setAttribute('tabindex', '0');
    this.container.append(svg, h('p', { class: 'visually-hidden', text: 'Arrow keys move between seats; Space chooses one.' }));
    this.applyScale();
    if (this.tools) {
      this.tools.sections.replaceChildren(...(sections.size > 1 ? [...sections.keys()] : []).map((section) => h('button', {
        type: 'button', 'data-section': section, text: section, onclick: () => this.goTo(section),
      })));
      this.tools.tools.hidden = false;
    }
  }

  // Moves the one tab stop of the map to `element` and focuses it.
  focus(element) {
    for (const other of this.container.querySelectorAll('[role=checkbox][tabindex="0"]')) {
      other.setAttribute('tabindex', '-1');
    }
    element.setAttribute('tabindex', '0');
    element.focus();
  }

  key(event) {
    const element = event.target.closest('[role=checkbox]');
    if (!element) return;
    const rowIndex = this.rows.findIndex((row) => row.includes(element));
    const row = this.rows[rowIndex];
    const index = row.indexOf(element);
    const nearest = (line) => {
      const x = Number(element.firstChild.getAttribute('x'));
      return line.reduce((best, other) =>
        Math.abs(Number(other.firstChild.getAttribute('x')) - x) < Math.abs(Number(best.firstChild.getAttribute('x')) - x)
          ? other : best);
    };
    let target = null;
    switch (event.key) {
      case 'ArrowLeft': target = row[index - 1]; break;
      case 'ArrowRight': target = row[index + 1]; break;
      case 'ArrowUp': target = rowIndex > 0 ? nearest(this.rows[rowIndex - 1]) : null; break;
      case 'ArrowDown': target = rowIndex + 1 < this.rows.length ? nearest(this.rows[rowIndex + 1]) : null; break;
      case 'Home': target = row[0]; break;
      case 'End': target = row[row.length - 1]; break;
      case ' ':
      case 'Enter':
        event.preventDefault();
        this.onToggle(element.seat);
        return;
      default: return;
    }
    event.preventDefault();
    if (target) this.focus(target);
  }
}
