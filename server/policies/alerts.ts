import { allow, deny, type Rule } from './decision';

// Alerts and saved searches (server/routes/alerts.ts). A saved search is its tenant's
// alone: anyone else is answered as if it did not exist.
export const alertRules: Record<string, Rule> = {
  'savedSearch.create': (actor) => (!actor ? deny('not_signed_in') : actor.isSuspended ? deny('suspended') : allow),
  'savedSearch.manage': (actor, search?: { userId: number }) =>
    !actor ? deny('not_signed_in') : search && search.userId === actor.id ? allow : deny('not_visible'),
};
