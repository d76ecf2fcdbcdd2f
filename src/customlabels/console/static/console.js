// customlabels console: small behaviours on server-rendered pages. Plain ES modules, no libraries.

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

/** Calls the REST API with the session's CSRF token; resolves to the JSON body or throws Error(detail). */
export async function api(url, { method = "GET", json, form } = {}) {
  const headers = { "X-CSRF-Token": csrf(), Accept: "application/json" };
  let body;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  if (form !== undefined) body = form;
  const response = await fetch(url, { method, headers, body, credentials: "same-origin" });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    if (response.status === 401) location.assign(`/console/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new Error(data.detail || `${response.status} ${response.statusText}`);
  }
  return data;
}

function dialogs() {
  document.querySelectorAll("[data-open-dialog]").forEach((button) =>
    button.addEventListener("click", () => document.getElementById(button.dataset.openDialog)?.showModal()));
  document.querySelectorAll("[data-close-dialog]").forEach((button) =>
    button.addEventListener("click", () => button.closest("dialog")?.close()));
  document.querySelectorAll("form[data-confirm]").forEach((form) =>
    form.addEventListener("submit", (event) => { if (!confirm(form.dataset.confirm)) event.preventDefault(); }));
}

/** Files of a drop, with their paths inside dropped folders (the labels). */
async function droppedFiles(dataTransfer) {
  const entries = [...dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
  if (!entries.length) return [...dataTransfer.files].map((file) => [file, file.name]);
  const found = [];
  const walk = async (entry, path) => {
    if (entry.isFile) {
      found.push([await new Promise((ok, fail) => entry.file(ok, fail)), path + entry.name]);
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      let batch;
      do {
        batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
        for (const child of batch) await walk(child, `${path}${entry.name}/`);
      } while (batch.length);
    }
  };
  for (const entry of entries) await walk(entry, "");
  return found;
}

function uploads() {
  document.querySelectorAll("[data-upload]").forEach((zone) => {
    const status = zone.querySelector("[data-upload-status]");
    const error = zone.querySelector("[data-upload-error]");
    const bar = zone.querySelector("[data-upload-progress]");
    const send = (pairs) => {
      const files = pairs.filter(([file, path]) => !path.split("/").some((part) => part.startsWith(".")));
      if (!files.length) { error.textContent = "No file to upload."; return; }
      const form = new FormData();
      for (const [file, path] of files) { form.append("files", file, file.name); form.append("paths", path); }
      error.textContent = "";
      status.textContent = `Uploading ${files.length} file${files.length > 1 ? "s" : ""}…`;
      bar.hidden = false;
      const request = new XMLHttpRequest();
      request.open("POST", zone.dataset.upload);
      request.setRequestHeader("X-CSRF-Token", csrf());
      request.setRequestHeader("Accept", "application/json");
      request.upload.onprogress = (e) => { if (e.lengthComputable) bar.firstElementChild.style.width = `${(100 * e.loaded) / e.total}%`; };
      request.onload = () => {
        const data = JSON.parse(request.responseText || "{}");
        if (request.status >= 400) { bar.hidden = true; status.textContent = ""; error.textContent = data.detail || request.statusText; return; }
        const skipped = data.skipped?.length ? ` ${data.skipped.length} skipped: ${data.skipped.slice(0, 3).map((s) => `${s.path} (${s.reason})`).join("; ")}` : "";
        status.textContent = `Imported ${data.images} images.${skipped} Processing…`;
        setTimeout(() => location.reload(), skipped ? 2500 : 600);
      };
      request.onerror = () => { error.textContent = "The upload failed: the server could not be reached."; };
      request.send(form);
    };
    zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", async (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      send(await droppedFiles(event.dataTransfer));
    });
    zone.querySelectorAll("[data-upload-input]").forEach((input) =>
      input.addEventListener("change", () => send([...input.files].map((file) => [file, file.webkitRelativePath || file.name]))));
  });
  document.querySelectorAll("form[data-manifest]").forEach((form) =>
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = form.querySelector("[data-manifest-error]");
      try {
        await api(form.dataset.manifest, { method: "POST", form: new FormData(form) });
        location.reload();
      } catch (problem) { error.textContent = problem.message; }
    }));
}

/** Reloads the page when a watched resource's status changes (datasets being created, models training). */
function watchers() {
  const project = document.querySelector("[data-watch-project]");
  if (project) {
    const busy = /IN_PROGRESS|STARTING|STOPPING|DELETING/.test(project.dataset.statuses);
    if (busy) {
      const poll = async () => {
        const [info, models] = await Promise.all([
          api(`/api/v1/projects/${project.dataset.watchProject}`),
          api(`/api/v1/projects/${project.dataset.watchProject}/models`),
        ]).catch(() => [null, null]);
        if (!info) return setTimeout(poll, 3000);
        const now = info.datasets.map((d) => `${d.type.toUpperCase()}=${d.status};`).join("") + models.map((m) => `${m.name}=${m.status};`).join("");
        if (now !== project.dataset.statuses) location.reload(); else setTimeout(poll, 1500);
      };
      setTimeout(poll, 1500);
    }
  }
  const dataset = document.querySelector("[data-watch-dataset]");
  if (dataset) {
    const poll = async () => {
      const info = await api(dataset.dataset.watchDataset).catch(() => null);
      if (info && info.status !== dataset.dataset.status) location.reload(); else setTimeout(poll, 1500);
    };
    setTimeout(poll, 1500);
  }
}

function bulk() {
  const bar = document.querySelector("[data-bulk]");
  const gallery = document.querySelector("[data-gallery]");
  if (!bar || !gallery) return;
  const count = bar.querySelector("[data-selected-count]");
  const matching = bar.querySelector("[data-select-matching]");
  const status = bar.querySelector("[data-bulk-status]");
  const error = bar.querySelector("[data-bulk-error]");
  const picks = () => [...gallery.querySelectorAll("[data-pick]")];
  const refresh = () => {
    const chosen = picks().filter((p) => p.checked);
    picks().forEach((p) => p.closest(".tile").classList.toggle("selected", p.checked));
    count.textContent = matching.checked ? document.querySelector("[data-matching]").textContent : chosen.length;
  };
  gallery.addEventListener("change", refresh);
  matching.addEventListener("change", refresh);
  bar.querySelector("[data-select-page]").addEventListener("click", () => { picks().forEach((p) => (p.checked = true)); refresh(); });
  bar.querySelector("[data-select-none]").addEventListener("click", () => { picks().forEach((p) => (p.checked = false)); matching.checked = false; refresh(); });
  const change = async (what) => {
    const label = bar.querySelector("[data-bulk-label]").value.trim();
    error.textContent = "";
    if (!label) { error.textContent = "Type or choose a label first."; bar.querySelector("[data-bulk-label]").focus(); return; }
    const body = { add: what === "add" ? [label] : [], remove: what === "remove" ? [label] : [] };
    if (matching.checked) body.matching = JSON.parse(bar.dataset.query);
    else body.source_refs = picks().filter((p) => p.checked).map((p) => p.closest(".tile").dataset.ref);
    if (!body.matching && !body.source_refs.length) { error.textContent = "Select images first."; return; }
    status.textContent = "Saving…";
    try {
      const result = await api(bar.dataset.bulk, { method: "POST", json: body });
      status.textContent = `${result.changed} image${result.changed === 1 ? "" : "s"} changed.`;
      setTimeout(() => location.reload(), 400);
    } catch (problem) { status.textContent = ""; error.textContent = problem.message; }
  };
  bar.querySelector("[data-bulk-add]").addEventListener("click", () => change("add"));
  bar.querySelector("[data-bulk-remove]").addEventListener("click", () => change("remove"));
}

dialogs();
uploads();
watchers();
bulk();
