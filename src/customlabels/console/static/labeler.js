// The labeling tool: image-level labels and bounding boxes on one image, saved as they change.
import { api } from "./console.js";

const SVG = "http://www.w3.org/2000/svg";
const MIN_BOX = 4; // pixels: smaller boxes are refused by the manifest rules once scaled for training
const data = JSON.parse(document.getElementById("labeler-data").textContent);
const $ = (selector) => document.querySelector(selector);

const state = {
  labels: [...data.entry.labels],
  boxes: data.entry.boxes.map((b) => ({ label: b.label, left: b.left, top: b.top, width: b.width, height: b.height })),
};
let vocabulary = [...new Set([...data.labels, ...state.labels, ...state.boxes.map((b) => b.label)])];
let mode = "image";
let selected = -1; // index of the selected box
let activeLabel = vocabulary[0] ?? null; // label of new boxes
const history = [];
let size = { width: 0, height: 0 };

// ---------------------------------------------------------------- saving

let saving = null; // the save in flight
let dirty = false; // a change made since that save started
const status = $("[data-saving]");

function say(text, kind = "") {
  status.textContent = text;
  status.className = `saving ${kind}`;
}

async function save() {
  if (saving) { dirty = true; return saving; }
  say("Saving…");
  const body = { labels: state.labels, boxes: state.boxes.map((b) => ({ ...b, left: round(b.left), top: round(b.top), width: round(b.width), height: round(b.height) })) };
  saving = api(data.save_url, { method: "PUT", json: body })
    .then((entry) => {
      say("All changes saved.", "ok");
      document.querySelectorAll("[data-entry-error]").forEach((p) => p.remove());
      return entry;
    })
    .catch((problem) => say(`Not saved: ${problem.message}`, "failed"))
    .finally(() => {
      saving = null;
      if (dirty) { dirty = false; save(); }
    });
  return saving;
}

const round = (value) => Math.round(value * 10) / 10;

/** Records the state for undo, applies a change, shows it and saves it. */
function change(apply) {
  history.push(JSON.stringify(state));
  if (history.length > 200) history.shift();
  apply();
  render();
  save();
}

function undo() {
  const previous = history.pop();
  if (!previous) { say("Nothing to undo."); return; }
  Object.assign(state, JSON.parse(previous));
  selected = Math.min(selected, state.boxes.length - 1);
  render();
  save();
}

async function go(url) {
  if (!url) return;
  if (saving) await saving;
  if (!status.classList.contains("failed")) location.assign(url);
}

window.addEventListener("beforeunload", (event) => { if (saving) event.preventDefault(); });

// ---------------------------------------------------------------- labels panel

function toggleImageLabel(name) {
  change(() => {
    state.labels = state.labels.includes(name) ? state.labels.filter((l) => l !== name) : [...state.labels, name];
  });
}

function chooseLabel(name) {
  if (mode === "image") return toggleImageLabel(name);
  activeLabel = name;
  if (selected >= 0) change(() => { state.boxes[selected].label = name; });
  else render();
}

function renderLabels() {
  const list = $("[data-labels]");
  list.replaceChildren(
    ...vocabulary.map((name, index) => {
      const item = document.createElement("li");
      const key = document.createElement("kbd");
      key.textContent = index < 9 ? String(index + 1) : "";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "label";
      button.textContent = name;
      const box = state.boxes[selected];
      const pressed = mode === "image" ? state.labels.includes(name) : (box ? box.label === name : activeLabel === name);
      button.setAttribute("aria-pressed", String(pressed));
      button.addEventListener("click", () => chooseLabel(name));
      item.append(key, button);
      return item;
    }),
  );
  const chips = state.labels.map((name) => Object.assign(document.createElement("span"), { className: "chip", textContent: name }));
  $("[data-image-labels]").replaceChildren(...(chips.length ? chips : [Object.assign(document.createElement("span"), { className: "muted", textContent: "none" })]));
  $("[data-mode-help]").textContent = mode === "image"
    ? "Click a label (or press its number) to put it on the image or take it off."
    : vocabulary.length
      ? "Drag on the image to draw a box with the chosen label; drag a box to move it, its corners to resize it."
      : "Add a label first: boxes need one.";
}

$("[data-add-label]").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("#add-label");
  const name = input.value.trim();
  const error = $("[data-add-label-error]");
  error.textContent = "";
  if (!name) return;
  try {
    await api(data.labels_url, { method: "POST", json: { name } });
  } catch (problem) { error.textContent = problem.message; return; }
  if (!vocabulary.includes(name)) vocabulary.push(name);
  input.value = "";
  if (mode === "image") toggleImageLabel(name);
  else { activeLabel = name; render(); }
});

// ---------------------------------------------------------------- boxes

const svg = $("[data-svg]");
const image = $("[data-image]");

function renderBoxes() {
  svg.replaceChildren(
    ...state.boxes.map((box, index) => {
      const group = document.createElementNS(SVG, "g");
      group.setAttribute("class", `box${index === selected ? " selected" : ""}`);
      group.dataset.index = index;
      const frame = rect(box.left, box.top, box.width, box.height, "frame");
      frame.dataset.part = "move";
      const title = document.createElementNS(SVG, "title");
      title.textContent = box.label;
      frame.append(title);
      const text = document.createElementNS(SVG, "text");
      const scale = size.width / Math.max(1, image.clientWidth);
      text.setAttribute("x", box.left + 3 * scale);
      text.setAttribute("y", Math.max(box.top - 4 * scale, 12 * scale));
      text.setAttribute("font-size", 13 * scale);
      text.setAttribute("stroke-width", 3 * scale);
      text.textContent = box.label;
      group.append(frame, text);
      if (index === selected) {
        const h = 8 * scale;
        for (const [corner, x, y] of [["nw", box.left, box.top], ["ne", box.left + box.width, box.top], ["sw", box.left, box.top + box.height], ["se", box.left + box.width, box.top + box.height]]) {
          const handle = rect(x - h / 2, y - h / 2, h, h, "handle");
          handle.dataset.part = corner;
          handle.style.cursor = `${corner}-resize`;
          group.append(handle);
        }
      }
      return group;
    }),
  );
  const list = $("[data-boxes]");
  list.replaceChildren(
    ...state.boxes.map((box, index) => {
      const item = document.createElement("li");
      if (index === selected) item.className = "selected";
      const select = document.createElement("select");
      select.setAttribute("aria-label", `Label of box ${index + 1}`);
      for (const name of vocabulary) select.append(new Option(name, name, false, name === box.label));
      select.addEventListener("change", () => change(() => { state.boxes[index].label = select.value; }));
      select.addEventListener("focus", () => { selected = index; renderBoxes(); });
      const size_ = document.createElement("span");
      size_.className = "small muted";
      size_.textContent = `${Math.round(box.width)}×${Math.round(box.height)}`;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = "Delete";
      remove.setAttribute("aria-label", `Delete box ${index + 1} (${box.label})`);
      remove.addEventListener("click", () => deleteBox(index));
      item.append(select, size_, remove);
      return item;
    }),
  );
  $("[data-no-boxes]").hidden = state.boxes.length > 0;
}

function rect(x, y, width, height, cls) {
  const element = document.createElementNS(SVG, "rect");
  element.setAttribute("x", x);
  element.setAttribute("y", y);
  element.setAttribute("width", Math.max(0, width));
  element.setAttribute("height", Math.max(0, height));
  element.setAttribute("class", cls);
  return element;
}

function deleteBox(index) {
  if (index < 0 || index >= state.boxes.length) return;
  selected = -1;
  change(() => { state.boxes.splice(index, 1); });
}

function point(event) {
  const bounds = svg.getBoundingClientRect();
  const x = ((event.clientX - bounds.left) * size.width) / bounds.width;
  const y = ((event.clientY - bounds.top) * size.height) / bounds.height;
  return { x: clamp(x, 0, size.width), y: clamp(y, 0, size.height) };
}

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

let drag = null; // {kind: "draw"|"move"|corner, start, original, draft}

svg.addEventListener("pointerdown", (event) => {
  if (event.button !== 0) return;
  const part = event.target.dataset?.part;
  const group = event.target.closest?.("g.box");
  if (mode !== "box") {
    if (!group) return;
    setMode("box"); // clicking a box works on boxes
  }
  const start = point(event);
  svg.setPointerCapture(event.pointerId);
  if (group && part) {
    selected = Number(group.dataset.index);
    drag = { kind: part, start, original: { ...state.boxes[selected] }, before: JSON.stringify(state) };
    render();
    return;
  }
  if (!activeLabel) { say("Add or choose a label before drawing a box.", "failed"); return; }
  selected = -1;
  const draft = rect(start.x, start.y, 0, 0, "draft");
  svg.append(draft);
  drag = { kind: "draw", start, draft };
});

svg.addEventListener("pointermove", (event) => {
  if (!drag) return;
  const now = point(event);
  if (drag.kind === "draw") {
    const box = spanned(drag.start, now);
    for (const [key, value] of Object.entries({ x: box.left, y: box.top, width: box.width, height: box.height })) drag.draft.setAttribute(key, value);
    return;
  }
  const box = state.boxes[selected];
  const o = drag.original;
  const dx = now.x - drag.start.x;
  const dy = now.y - drag.start.y;
  if (drag.kind === "move") {
    box.left = clamp(o.left + dx, 0, size.width - o.width);
    box.top = clamp(o.top + dy, 0, size.height - o.height);
  } else {
    const right = o.left + o.width;
    const bottom = o.top + o.height;
    const fixed = { x: drag.kind.includes("w") ? right : o.left, y: drag.kind.includes("n") ? bottom : o.top };
    Object.assign(box, spanned(fixed, now));
  }
  drag.moved = true;
  renderBoxes();
});

svg.addEventListener("pointerup", (event) => {
  if (!drag) return;
  const finished = drag;
  drag = null;
  if (finished.kind === "draw") {
    finished.draft.remove();
    const box = spanned(finished.start, point(event));
    if (box.width >= MIN_BOX && box.height >= MIN_BOX) {
      change(() => { state.boxes.push({ label: activeLabel, ...box }); });
      selected = state.boxes.length - 1;
      render();
    }
    return;
  }
  const box = state.boxes[selected];
  if (finished.moved && box.width >= MIN_BOX && box.height >= MIN_BOX) {
    history.push(finished.before);
    save();
  } else if (finished.moved) {
    Object.assign(state, JSON.parse(finished.before));
  }
  render();
});

function spanned(a, b) {
  return { left: Math.min(a.x, b.x), top: Math.min(a.y, b.y), width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y) };
}

// ---------------------------------------------------------------- modes and keys

function setMode(next) {
  mode = next;
  document.querySelectorAll("[data-mode]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.mode === mode)));
  $("[data-canvas]").classList.toggle("image-mode", mode === "image");
  if (mode === "image") selected = -1;
  render();
}

document.querySelectorAll("[data-mode]").forEach((b) => b.addEventListener("click", () => setMode(b.dataset.mode)));

document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, select, textarea")) return;
  const key = event.key;
  if ((event.ctrlKey || event.metaKey) && key.toLowerCase() === "z") { event.preventDefault(); undo(); return; }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (key === "ArrowRight" || key === "d") { event.preventDefault(); go(data.next_url); }
  else if (key === "ArrowLeft" || key === "a") { event.preventDefault(); go(data.previous_url); }
  else if (/^[1-9]$/.test(key) && vocabulary[Number(key) - 1]) chooseLabel(vocabulary[Number(key) - 1]);
  else if (key === "b") setMode("box");
  else if (key === "i") setMode("image");
  else if ((key === "Delete" || key === "Backspace") && selected >= 0) { event.preventDefault(); deleteBox(selected); }
  else if (key === "Escape") { selected = -1; render(); }
});

for (const [selector, url] of [["[data-previous]", data.previous_url], ["[data-next]", data.next_url]]) {
  $(selector).addEventListener("click", (event) => { event.preventDefault(); go(url); });
}

function render() {
  renderLabels();
  renderBoxes();
}

/** Scales the image (up or down) to fill the stage, keeping its shape; boxes stay in image pixels. */
function fit() {
  const stage = $("[data-stage]");
  const room = { width: stage.clientWidth - 16, height: Math.max(320, window.innerHeight * 0.78) };
  const scale = Math.min(room.width / size.width, room.height / size.height);
  image.style.width = `${Math.floor(size.width * scale)}px`;
  image.style.height = `${Math.floor(size.height * scale)}px`;
}

function ready() {
  size = { width: image.naturalWidth, height: image.naturalHeight };
  fit();
  svg.setAttribute("viewBox", `0 0 ${size.width} ${size.height}`);
  if (state.boxes.length && !state.labels.length) setMode("box");
  render();
  document.body.dataset.labelerReady = "true";
}

if (image.complete && image.naturalWidth) ready();
else image.addEventListener("load", ready);
window.addEventListener("resize", () => { fit(); renderBoxes(); });
