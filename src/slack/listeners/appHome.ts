import type { App as BoltApp, webApi } from "@slack/bolt";
import type { StateApi } from "../../state/StateApi.ts";
import type { HomeDashboard } from "../homeView.ts";
import type { SlackWork } from "../SlackWork.ts";

export interface AppHomeDeps {
  /** Slack redelivers events; each is published once. */
  state: Pick<StateApi, "claimEvent">;
  home: Pick<HomeDashboard, "view">;
  client: webApi.WebClient;
  work: Pick<SlackWork, "later">;
}

/** The App Home tab, published each time someone opens it. */
export function register(bolt: BoltApp, deps: AppHomeDeps): void {
  bolt.event("app_home_opened", async ({ event, body }) => {
    if (event.tab !== "home") return;
    if (typeof body.event_id === "string" && !(await deps.state.claimEvent(body.event_id))) return;
    const user = event.user;
    deps.work.later("views.publish", async () => {
      const view = await deps.home.view();
      await deps.client.views.publish({ user_id: user, view });
    });
  });
}
