// Realtime scopes: what a subscription covers and what a watch row is keyed by — one task
// (`task:<name>`), one batch (`batch:<id>`), one owner's tasks (`owner:<user>`), or, for System
// Managers only, every task (`all`).

/** The scope of every task (System Managers only). */
export const ALL_SCOPE = "all";

/**
 * The realtime hub that holds every-task subscribers. Other hubs are named by their owner, and user
 * names cannot contain ':', so no user's hub can be this one.
 */
export const ALL_HUB = "scope:all";
