// The improve page: run a model over unlabeled images, then accept or correct its guesses one click each.
import { api } from "./console.js";

const form = document.querySelector("[data-suggest]");
form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = form.querySelector("[data-suggest-status]");
  const error = document.querySelector("[data-suggest-error]");
  error.textContent = "";
  status.textContent = "The model is looking at the images…";
  form.querySelector("button").disabled = true;
  try {
    const made = await api(form.dataset.suggest, {
      method: "POST",
      json: { model: form.elements.model.value, limit: Number(form.elements.limit.value) },
    });
    status.textContent = `${made.changed} new suggestions.`;
    setTimeout(() => location.reload(), 400);
  } catch (problem) {
    status.textContent = "";
    error.textContent = problem.message;
  } finally { form.querySelector("button").disabled = false; }
});

const list = document.querySelector("[data-suggestions]");
list?.addEventListener("click", async (event) => {
  const button = event.target.closest("button");
  const card = event.target.closest("[data-ref]");
  if (!button || !card) return;
  const status = card.querySelector("[data-accept-status]");
  const body = { source_ref: card.dataset.ref };
  if (button.dataset.label) body.labels = [button.dataset.label];
  card.querySelectorAll("button").forEach((b) => (b.disabled = true));
  status.textContent = "Saving…";
  try {
    const entry = await api(list.dataset.suggestions, { method: "POST", json: body });
    status.textContent = `Labeled: ${entry.labels.join(", ") || "no label"}.`;
    card.classList.add("done");
  } catch (problem) {
    status.textContent = problem.message;
    status.classList.add("error");
    card.querySelectorAll("button").forEach((b) => (b.disabled = false));
  }
});
