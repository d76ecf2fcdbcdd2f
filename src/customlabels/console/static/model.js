// A model's page: follow the training, and try the running model on an image.
import { api } from "./console.js";

const model = document.querySelector("[data-model]");

const POLL_MS = 1000;

function follow() {
  if (!model || !/PROGRESS|STARTING|STOPPING|DELETING/.test(model.dataset.status)) return;
  const poll = async () => {
    const info = await api(model.dataset.model).catch(() => null);
    if (!info) return setTimeout(poll, 3000);
    if (info.status !== model.dataset.status) { location.reload(); return; }
    const p = info.progress;
    if (p) {
      const bar = document.querySelector("[data-progress-bar]");
      if (p.step) document.querySelector("[data-progress-step]").textContent = p.step;
      if (bar && p.fraction != null) {
        bar.firstElementChild.style.width = `${p.fraction * 100}%`;
        bar.setAttribute("aria-valuenow", String(Math.round(p.fraction * 100)));
      }
      if (p.epoch) document.querySelector("[data-progress-epoch]").textContent = `Epoch ${p.epoch} of ${p.epochs}`;
      if (p.eta_s != null) document.querySelector("[data-progress-eta]").textContent = ` · about ${duration(p.eta_s)} left`;
    }
    setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
}

const duration = (s) => (s < 90 ? `${Math.max(1, Math.round(s))} s` : `${Math.round(s / 60)} min`);

function tryIt() {
  const root = document.querySelector("[data-try]");
  if (!root) return;
  const slider = root.querySelector("[data-try-slider]");
  const output = root.querySelector("[data-try-value]");
  const results = root.querySelector("[data-try-results]");
  const boxes = root.querySelector("[data-try-boxes]");
  const status = root.querySelector("[data-try-status]");
  const error = root.querySelector("[data-try-error]");
  let labels = [];

  const show = () => {
    const cut = Number(slider.value);
    output.textContent = `${cut} %`;
    results.replaceChildren(...labels.map((label) => {
      const row = document.createElement("tr");
      const kept = label.confidence >= cut;
      row.style.opacity = kept ? "1" : ".45";
      row.dataset.kept = String(kept);
      const threshold = label.threshold == null ? "" : ` (threshold ${Math.round(label.threshold * 100)} %)`;
      row.innerHTML = `<td></td><td class="num"></td><td style="width:35%"><div class="bar"><div></div></div></td>`;
      row.cells[0].textContent = label.name;
      row.cells[0].title = `${label.name}${threshold}`;
      row.cells[1].textContent = `${label.confidence.toFixed(1)} %`;
      row.querySelector(".bar > div").style.width = `${label.confidence}%`;
      const note = document.createElement("div");
      note.className = "small muted";
      note.textContent = threshold.trim();
      row.cells[0].append(note);
      return row;
    }));
    boxes.replaceChildren(...labels.filter((l) => l.box && l.confidence >= cut).map((l) => {
      const rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      const [x, y, w, h] = l.box;
      Object.entries({ x, y, width: w, height: h, class: "true_positive" }).forEach(([k, v]) => rect.setAttribute(k, v));
      return rect;
    }));
  };

  const send = async (file) => {
    if (!file) return;
    error.textContent = "";
    status.textContent = "Detecting…";
    const shot = root.querySelector("[data-try-shot]");
    root.querySelector("[data-try-image]").src = URL.createObjectURL(file);
    shot.hidden = false;
    const form = new FormData();
    form.append("image", file);
    try {
      labels = (await api(root.dataset.try, { method: "POST", form })).labels;
      status.textContent = labels.length ? `${labels.length} labels.` : "The model found no label.";
      show();
    } catch (problem) { status.textContent = ""; error.textContent = problem.message; labels = []; show(); }
  };
  slider.addEventListener("input", show);
  root.querySelector("[data-try-input]").addEventListener("change", (e) => send(e.target.files[0]));
  const drop = root.querySelector("[data-try-drop]");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); send(e.dataTransfer.files[0]); });
}

follow();
tryIt();
