// The edits of a flag's page that are saved at once rather than with Save: marking it stale or not,
// clearing an environment's override, adding and removing an app. Each keeps the unsaved edits of
// the rest of the page (`flag.applyImmediate`).

import { path } from "../api.js";
import { clearErrors, showError } from "../forms.js";

/** `flag` is the page: `base()`, `act`, `applyImmediate`, `form`, `formError` and `stateText`. */
export function createAtOnce(ctx, name, flag) {
  const { act, applyImmediate, form, formError, stateText } = flag;
  return { markStale, clearOverride, addApp, removeApp };

  function markStale(stale) {
    act(
      () => ctx.api.patch(path("/flags", name), { stale, version: flag.base().version }),
      (doc) => {
        applyImmediate(doc, (edited) => edited);
        const again = document.getElementById(stale ? "flag-not-stale" : "flag-mark-stale");
        if (again) again.focus();
        stateText.textContent = stale ? `${name} is marked stale.` : `${name} is no longer marked stale.`;
      },
      (error) => showError(form, "stale", error.message, formError),
    );
  }

  function clearOverride(env) {
    act(
      () => ctx.api.del(path("/flags", name, "environments", env)),
      (doc) => {
        applyImmediate(doc, (edited, fresh) => ({
          ...edited,
          environments: { ...edited.environments, [env]: fresh.environments[env] },
        }));
        const select = document.getElementById(`env-${env}-enabled`);
        if (select) select.focus();
        stateText.textContent = `The ${env} override is cleared: ${env} inherits the default.`;
      },
      (error) => showError(form, `environments.${env}`, error.message, formError),
    );
  }

  function addApp(app) {
    clearErrors(form);
    if (!app) {
      showError(form, "app_name", "Enter an app name.");
      return;
    }
    act(
      () => ctx.api.post(path("/flags", name, "apps"), { app_name: app }),
      (doc) => {
        applyImmediate(doc, (edited) => edited);
        const input = document.getElementById("app-name");
        if (input) input.focus();
      },
      (error) => {
        showError(form, "app_name", error.message);
        document.getElementById("app-name").focus();
      },
    );
  }

  function removeApp(app) {
    act(
      () => ctx.api.del(path("/flags", name, "apps", app)),
      (doc) => {
        applyImmediate(doc, (edited) => edited);
        const input = document.getElementById("app-name");
        if (input) input.focus();
      },
      (error) => showError(form, "app_name", error.message),
    );
  }
}
