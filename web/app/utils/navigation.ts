import type { Role } from '../../../db/models/index.ts';

export interface NavItem {
  to: string;
  label: string;
}

/** What owners and admins see; My Company, Subscription and API keys are the owner's alone; the Mailbox exists outside production only. */
const ADMIN_NAV: Array<NavItem & { ownerOnly?: true; mailbox?: true }> = [
  { to: '/leads', label: 'Leads' },
  { to: '/upcoming', label: 'Upcoming' },
  { to: '/activity', label: 'Live activity' },
  { to: '/reports', label: 'Reports' },
  { to: '/recycle-bin', label: 'Recycle bin' },
  { to: '/imports', label: 'Imports' },
  { to: '/sources', label: 'Sources' },
  { to: '/compliance', label: 'Compliance' },
  { to: '/templates', label: 'Templates' },
  { to: '/users', label: 'Users & Seats' },
  { to: '/company', label: 'My Company', ownerOnly: true },
  { to: '/subscription', label: 'Subscription', ownerOnly: true },
  { to: '/api-keys', label: 'API keys', ownerOnly: true },
  { to: '/email-templates', label: 'E-mail templates', ownerOnly: true },
  { to: '/mailbox', label: 'Mailbox', mailbox: true },
  { to: '/support', label: 'Support' },
];

/** The app shell's navigation; each route still checks the role (and the Mailbox its mode) itself. */
export function navFor(role: Role, opts: { mailbox: boolean }): NavItem[] {
  switch (role) {
    case 'owner':
    case 'admin':
      return ADMIN_NAV.filter((item) => (role === 'owner' || !item.ownerOnly) && (opts.mailbox || !item.mailbox)).map(({ to, label }) => ({ to, label }));
    case 'lsp':
      return [
        { to: '/leads', label: 'My Leads' },
        { to: '/due-today', label: 'Due today' },
        { to: '/upcoming', label: 'Upcoming' },
        { to: '/sources', label: 'Sources' },
      ];
    case 'support':
      return [
        { to: '/leads', label: 'Leads' },
        { to: '/support', label: 'Support' },
      ];
  }
}
